import { MATH_FUNCTIONS } from './math-names.js';
import type { BinaryOperator, MathNode } from './math-tree.js';

/** An expression that parsed but has no finite value: 1/0, sqrt(-1), exp(1000). */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}

function applyBinary(operator: BinaryOperator, left: number, right: number): number {
  switch (operator) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      return left / right;
    case '%':
      return left % right;
    case '^':
    case '**':
      return left ** right;
  }
}

/**
 * Every intermediate value must be finite, so the error names the step that went wrong (`1 / 0`)
 * rather than the final Infinity or NaN it would have turned into.
 */
function requireFinite(value: number, describeStep: () => string, dividesByZero = false): number {
  if (Number.isFinite(value)) return value;
  if (dividesByZero) throw new EvaluationError(`division by zero in ${describeStep()}`);
  if (Number.isNaN(value)) throw new EvaluationError(`${describeStep()} is not a real number`);
  throw new EvaluationError(`${describeStep()} is infinite or too large to represent`);
}

/**
 * Evaluates a tree from parseExpression. `variables` must hold a finite number for every variable
 * the tree names; it is a Map, so only the names put in it can be found.
 */
export function evaluate(node: MathNode, variables: ReadonlyMap<string, number>): number {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'variable': {
      const value = variables.get(node.name);
      if (value === undefined) throw new EvaluationError(`no value for the variable '${node.name}'`);
      return value;
    }
    case 'unary': {
      const operand = evaluate(node.operand, variables);
      return node.operator === '-' ? -operand : operand;
    }
    case 'binary': {
      const left = evaluate(node.left, variables);
      const right = evaluate(node.right, variables);
      const dividesByZero = (node.operator === '/' || node.operator === '%') && right === 0;
      return requireFinite(
        applyBinary(node.operator, left, right),
        () => `${left} ${node.operator} ${right}`,
        dividesByZero,
      );
    }
    case 'call': {
      const mathFunction = MATH_FUNCTIONS.get(node.name);
      if (mathFunction === undefined) throw new EvaluationError(`unknown function '${node.name}'`);
      const args = node.args.map((arg) => evaluate(arg, variables));
      return requireFinite(mathFunction.apply(...args), () => `${node.name}(${args.join(', ')})`);
    }
  }
}
