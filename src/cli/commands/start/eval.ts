/** `workernator jobs start eval expression [name=value...]`: the Expression Evaluator job. */
import { JobType } from '../../../gen/workernator/v1/workernator.js';
import { ValueError } from '../../errors.js';
import { startCommand } from './start-job.js';

function parseVariable(text: string): [string, number] {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(text);
  const value = match ? Number(match[2]) : NaN;
  if (!match || match[1] === undefined || !Number.isFinite(value)) {
    throw new ValueError('expected name=number, such as r=2.5');
  }
  return [match[1], value];
}

export const evaluate = startCommand({
  name: 'eval',
  type: JobType.JOB_TYPE_EXPRESSION_EVALUATOR,
  summary: 'Evaluate a mathematical formula',
  description: [
    'Evaluate a mathematical formula, such as "2 * pi * r ^ 2".',
    '',
    'expression uses numbers, + - * / ^ %, parentheses, constants such as pi and e, and functions',
    'such as sqrt, sin and log. Quote it, so the shell leaves it alone. Each name=value that follows',
    'gives a value to a name the expression uses.',
  ].join('\n'),
  usage: 'expression [name=value...]',
  args: { min: 1 },
  examples: ["  workernator jobs start eval '2 * pi * r ^ 2' r=3", "  workernator jobs start eval 'sqrt(2)'"],
  toArguments: ([expression = '', ...assignments], values) => ({
    $case: 'expressionEvaluator',
    value: {
      expression,
      variables: Object.fromEntries(assignments.map((text) => values.arg(text, 'name=value', parseVariable))),
    },
  }),
});
