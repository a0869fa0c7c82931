import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '../errors.js';
import type { ExpressionEvaluatorArguments } from '../types.js';
import { describeValue, requireRecord, requireString, requireType } from './argument-checks.js';
import { EvaluationError, evaluate } from './expression/evaluate.js';
import { MATH_CONSTANTS, MATH_FUNCTIONS, RESERVED_NAMES } from './expression/math-names.js';
import type { MathNode } from './expression/math-tree.js';
import { parseExpression } from './expression/parse.js';
import type { JobDefinition } from './job-definition.js';
import { type Clock, JobLog, systemClock } from './log-line.js';

export { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_LENGTH } from './expression/parse.js';

export const MAX_VARIABLES = 100;
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const VARIABLES_FIELD = 'variables';

function validateVariables(input: unknown): Readonly<Record<string, number>> {
  // An absent map is an empty one: that is how the wire carries "no variables".
  if (input === undefined) return {};
  const variables = requireRecord(input, VARIABLES_FIELD);
  const names = Object.keys(variables);
  if (names.length > MAX_VARIABLES) {
    throw new InvalidArgumentError(
      VARIABLES_FIELD,
      `at most ${MAX_VARIABLES} are allowed, got ${names.length}`,
    );
  }
  const entries = names.map((name): [string, number] => {
    if (!VARIABLE_NAME.test(name)) {
      throw new InvalidArgumentError(
        VARIABLES_FIELD,
        `the name ${describeValue(name)} must be a letter or '_' followed by at most 63 letters, digits or '_'`,
      );
    }
    if (RESERVED_NAMES.has(name) || MATH_FUNCTIONS.has(name) || MATH_CONSTANTS.has(name)) {
      throw new InvalidArgumentError(VARIABLES_FIELD, `'${name}' is a reserved name`);
    }
    const value = variables[name];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidArgumentError(
        VARIABLES_FIELD,
        `'${name}' must be a finite number, got ${describeValue(value)}`,
      );
    }
    return [name, value];
  });
  // fromEntries defines own properties, so no name can reach a prototype.
  return Object.fromEntries(entries);
}

interface CheckedExpression {
  readonly args: ExpressionEvaluatorArguments;
  readonly tree: MathNode;
}

function checkExpressionArguments(input: unknown): CheckedExpression {
  const record = requireRecord(input, 'args');
  const type = requireType(record, 'expression-evaluator');
  const expression = requireString(record.expression, 'expression');
  const variables = validateVariables(record.variables);
  const tree = parseExpression(expression, new Set(Object.keys(variables)));
  return { args: { type, expression, variables }, tree };
}

function describeEvaluation({ expression, variables }: ExpressionEvaluatorArguments): string {
  const bindings = Object.entries(variables).map(([name, value]) => `${name} = ${value}`);
  return `Evaluating '${expression}'${bindings.length > 0 ? ` with ${bindings.join(', ')}` : ''}`;
}

export function runExpressionEvaluator(
  input: ExpressionEvaluatorArguments,
  out: Writable,
  clock: Clock = systemClock,
): number {
  const log = new JobLog(out, clock);
  log.started(expressionEvaluatorJob.displayName);
  try {
    const { args, tree } = checkExpressionArguments(input);
    log.line('EVAL', describeEvaluation(args));
    const result = evaluate(tree, new Map(Object.entries(args.variables)));
    log.line('RESULT', String(result));
    return log.complete();
  } catch (error) {
    if (error instanceof InvalidArgumentError || error instanceof EvaluationError) {
      return log.failed(error.message);
    }
    throw error;
  }
}

/**
 * Evaluates arithmetic with jsep as the parser and our own whitelist evaluator: no property
 * access, no calls but the listed Math functions, no strings, so no path to code or prototypes.
 */
export const expressionEvaluatorJob: JobDefinition<'expression-evaluator'> = {
  type: 'expression-evaluator',
  displayName: 'Expression Evaluator',
  validate: (args: ExpressionEvaluatorArguments) => checkExpressionArguments(args).args,
  run(args: ExpressionEvaluatorArguments, out: Writable): Promise<number> {
    return Promise.resolve(runExpressionEvaluator(args, out));
  },
};
