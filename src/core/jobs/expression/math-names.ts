/**
 * The names an expression may use besides its variables. Both tables are Maps, so a lookup can
 * only find what is listed here: `constructor`, `__proto__` or `toString` are unknown names, not
 * properties inherited from Object.prototype.
 */

export interface MathFunction {
  readonly apply: (...args: number[]) => number;
  readonly minArgs: number;
  /** Infinity for min, max and hypot. */
  readonly maxArgs: number;
}

const unary = (apply: (x: number) => number): MathFunction => ({ apply, minArgs: 1, maxArgs: 1 });
const binary = (apply: (x: number, y: number) => number): MathFunction => ({ apply, minArgs: 2, maxArgs: 2 });
// At least one argument: Math.max() alone is -Infinity, which the evaluator would refuse anyway.
const variadic = (apply: (...values: number[]) => number): MathFunction => ({
  apply,
  minArgs: 1,
  maxArgs: Infinity,
});

export const MATH_FUNCTIONS: ReadonlyMap<string, MathFunction> = new Map([
  ['abs', unary(Math.abs)],
  ['sqrt', unary(Math.sqrt)],
  ['cbrt', unary(Math.cbrt)],
  ['exp', unary(Math.exp)],
  ['log', unary(Math.log)],
  ['log2', unary(Math.log2)],
  ['log10', unary(Math.log10)],
  ['sin', unary(Math.sin)],
  ['cos', unary(Math.cos)],
  ['tan', unary(Math.tan)],
  ['asin', unary(Math.asin)],
  ['acos', unary(Math.acos)],
  ['atan', unary(Math.atan)],
  ['atan2', binary(Math.atan2)],
  ['sinh', unary(Math.sinh)],
  ['cosh', unary(Math.cosh)],
  ['tanh', unary(Math.tanh)],
  ['floor', unary(Math.floor)],
  ['ceil', unary(Math.ceil)],
  ['round', unary(Math.round)],
  ['trunc', unary(Math.trunc)],
  ['sign', unary(Math.sign)],
  ['min', variadic(Math.min)],
  ['max', variadic(Math.max)],
  ['pow', binary(Math.pow)],
  ['hypot', variadic(Math.hypot)],
]);

export const MATH_CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
  ['tau', 2 * Math.PI],
]);

/**
 * Names a variable may not take: jsep reads the first four as literals or `this`, so such a
 * variable could never be referenced; `__proto__` is a key that plain-object copies elsewhere
 * (`copy[key] = value`) would turn into a prototype change.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['true', 'false', 'null', 'this', '__proto__']);
