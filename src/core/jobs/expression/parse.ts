import jsep from 'jsep';
import { InvalidArgumentError } from '../../errors.js';
import { escapeControlCharacters } from '../log-line.js';
import { MATH_CONSTANTS, MATH_FUNCTIONS } from './math-names.js';
import {
  BINARY_OPERATORS,
  type BinaryOperator,
  type MathNode,
  UNARY_OPERATORS,
  type UnaryOperator,
} from './math-tree.js';

export const MAX_EXPRESSION_LENGTH = 4096;
/** Deeper than any formula a person writes; it bounds every recursion over the tree (and jsep's). */
export const MAX_EXPRESSION_DEPTH = 64;

const FIELD = 'expression';
const OPEN_PAREN = 40; // '('

/** jsep drops parentheses; we keep them as this node so `-2^2` and `(-2)^2` can differ. */
interface ParenthesizedExpression extends jsep.Expression {
  type: 'ParenthesizedExpression';
  expression: jsep.Expression;
}

// jsep is configured once per process, here: this module is its only user. `^` is power (jsep
// makes it XOR by default) at the precedence of `**`, right-associative: 2^3^2 = 2^9.
jsep.addBinaryOp('^', 11, true);
jsep.hooks.add('gobble-token', function markParentheses(env) {
  if (this.code !== OPEN_PAREN) return;
  // gobbleGroup returns false for `()`, whatever its declared type says.
  const inner = this.gobbleGroup() as jsep.Expression | false;
  if (inner === false) this.throwError('Empty parentheses');
  const group: ParenthesizedExpression = { type: 'ParenthesizedExpression', expression: inner };
  env.node = this.gobbleTokenProperty(group);
});

function refuse(message: string): never {
  throw new InvalidArgumentError(FIELD, message);
}

function tooDeep(): never {
  refuse(`is nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels of operators or parentheses)`);
}

/** jsep recurses once per bracket; refusing deep brackets first keeps it far from the stack limit. */
function checkBracketDepth(expression: string): void {
  let depth = 0;
  for (const char of expression) {
    if (char === '(' || char === '[') {
      depth += 1;
      if (depth > MAX_EXPRESSION_DEPTH) tooDeep();
    } else if ((char === ')' || char === ']') && depth > 0) {
      depth -= 1;
    }
  }
}

function parseWithJsep(expression: string): jsep.Expression {
  try {
    return jsep(expression);
  } catch (error) {
    if (error instanceof RangeError) tooDeep();
    const detail = error instanceof Error ? error.message : String(error);
    return refuse(`cannot be parsed: ${escapeControlCharacters(detail)}`);
  }
}

const isBinaryOperator = (operator: string): operator is BinaryOperator =>
  (BINARY_OPERATORS as readonly string[]).includes(operator);
const isUnaryOperator = (operator: string): operator is UnaryOperator =>
  (UNARY_OPERATORS as readonly string[]).includes(operator);
const isPower = (operator: BinaryOperator): boolean => operator === '^' || operator === '**';

function unwrapParentheses(node: jsep.Expression): jsep.Expression {
  let current = node;
  while (current.type === 'ParenthesizedExpression') {
    current = (current as ParenthesizedExpression).expression;
  }
  return current;
}

/** Converts jsep's tree to a MathNode, refusing every shape that is not whitelisted. */
class TreeChecker {
  readonly #variableNames: ReadonlySet<string>;

  constructor(variableNames: ReadonlySet<string>) {
    this.#variableNames = variableNames;
  }

  check(node: jsep.Expression, depth: number): MathNode {
    if (depth > MAX_EXPRESSION_DEPTH) tooDeep();
    switch (node.type) {
      case 'ParenthesizedExpression':
        return this.check((node as ParenthesizedExpression).expression, depth + 1);
      case 'Literal':
        return this.#literal(node as jsep.Literal);
      case 'Identifier':
        return this.#name((node as jsep.Identifier).name);
      case 'UnaryExpression':
        return this.#unary(node as jsep.UnaryExpression, depth);
      case 'BinaryExpression':
        return this.#binary(node as jsep.BinaryExpression, depth);
      case 'CallExpression':
        return this.#call(node as jsep.CallExpression, depth);
      case 'MemberExpression':
        return refuse("may not access members ('.' or '[...]')");
      case 'ThisExpression':
        return refuse("may not use 'this'");
      case 'ArrayExpression':
        return refuse('may not contain arrays');
      case 'ConditionalExpression':
        return refuse("may not use the conditional operator '? :'");
      case 'Compound':
      case 'SequenceExpression':
        return refuse("must be a single expression (no ';' or ',' between expressions)");
      default:
        return refuse(`may not contain ${escapeControlCharacters(node.type)}`);
    }
  }

  #literal(node: jsep.Literal): MathNode {
    const { value } = node;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse(`the number ${node.raw} is too large`);
      return { kind: 'number', value };
    }
    if (typeof value === 'string') return refuse('may not contain strings');
    return refuse(`may only contain numbers, not ${escapeControlCharacters(node.raw)}`);
  }

  #name(name: string): MathNode {
    if (this.#variableNames.has(name)) return { kind: 'variable', name };
    const constant = MATH_CONSTANTS.get(name);
    if (constant !== undefined) return { kind: 'number', value: constant };
    if (MATH_FUNCTIONS.has(name)) refuse(`'${name}' is a function: call it, as in ${name}(x)`);
    return refuse(`unknown name '${escapeControlCharacters(name)}'`);
  }

  #unary(node: jsep.UnaryExpression, depth: number): MathNode {
    if (!isUnaryOperator(node.operator)) {
      refuse(
        `may not use the operator '${node.operator}' (allowed before a value: ${UNARY_OPERATORS.join(' ')})`,
      );
    }
    return { kind: 'unary', operator: node.operator, operand: this.check(node.argument, depth + 1) };
  }

  #binary(node: jsep.BinaryExpression, depth: number): MathNode {
    const { operator } = node;
    if (!isBinaryOperator(operator)) {
      refuse(`may not use the operator '${operator}' (allowed: ${BINARY_OPERATORS.join(' ')})`);
    }
    const right = this.check(node.right, depth + 1);
    if (isPower(operator)) return this.#power(operator, node.left, right, depth);
    return { kind: 'binary', operator, left: this.check(node.left, depth + 1), right };
  }

  /**
   * jsep binds a sign tighter than any binary operator, so it reads `-2^2` as `(-2)^2`. In
   * mathematics (and Python) the power binds tighter: -(2^2) = -4. Parenthesized bases keep theirs.
   */
  #power(operator: BinaryOperator, base: jsep.Expression, exponent: MathNode, depth: number): MathNode {
    if (depth > MAX_EXPRESSION_DEPTH) tooDeep();
    if (base.type === 'UnaryExpression') {
      const signed = base as jsep.UnaryExpression;
      if (isUnaryOperator(signed.operator)) {
        const operand = this.#power(operator, signed.argument, exponent, depth + 1);
        return { kind: 'unary', operator: signed.operator, operand };
      }
    }
    return { kind: 'binary', operator, left: this.check(base, depth + 1), right: exponent };
  }

  #call(node: jsep.CallExpression, depth: number): MathNode {
    const callee = unwrapParentheses(node.callee);
    if (callee.type !== 'Identifier') {
      if (callee.type === 'MemberExpression') refuse("may not access members ('.' or '[...]')");
      refuse('may only call the math functions by name');
    }
    const name = (callee as jsep.Identifier).name;
    const shownName = escapeControlCharacters(name);
    if (this.#variableNames.has(name)) refuse(`'${shownName}' is a variable, not a function`);
    const mathFunction = MATH_FUNCTIONS.get(name);
    if (mathFunction === undefined) return refuse(`unknown function '${shownName}'`);
    const count = node.arguments.length;
    if (count < mathFunction.minArgs || count > mathFunction.maxArgs) {
      const expected =
        mathFunction.maxArgs === Infinity ? `at least ${mathFunction.minArgs}` : String(mathFunction.minArgs);
      refuse(`${name}() takes ${expected} argument${expected === '1' ? '' : 's'}, got ${count}`);
    }
    return { kind: 'call', name, args: node.arguments.map((arg) => this.check(arg, depth + 1)) };
  }
}

/**
 * Parses and checks an expression without evaluating it: cheap, so the server runs it on every
 * Start request. Throws InvalidArgumentError (field `expression`) for anything not whitelisted.
 */
export function parseExpression(expression: string, variableNames: ReadonlySet<string>): MathNode {
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    refuse(`must be at most ${MAX_EXPRESSION_LENGTH} characters, got ${expression.length}`);
  }
  if (expression.trim() === '') refuse('must not be empty');
  // No whitelisted operator contains '=', so this refuses assignment (and comparison) up front with
  // a clearer message than jsep's "Unexpected '='".
  if (expression.includes('=')) refuse("may not assign or compare ('=' is not an operator here)");
  checkBracketDepth(expression);
  return new TreeChecker(variableNames).check(parseWithJsep(expression), 1);
}
