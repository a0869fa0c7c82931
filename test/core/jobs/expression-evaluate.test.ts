import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EvaluationError, evaluate } from '../../../src/core/jobs/expression/evaluate.js';
import { parseExpression } from '../../../src/core/jobs/expression/parse.js';

function evaluateText(expression: string, variables: Record<string, number> = {}): number {
  const tree = parseExpression(expression, new Set(Object.keys(variables)));
  return evaluate(tree, new Map(Object.entries(variables)));
}

describe('evaluate: arithmetic', () => {
  const cases: [string, number][] = [
    ['1 + 2', 3],
    ['7 - 10', -3],
    ['6 * 7', 42],
    ['7 / 2', 3.5],
    ['10 % 4', 2],
    ['-7 % 4', -3],
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['64 / 4 / 2', 8],
    ['2 * 3 % 4', 2],
    ['2 ^ 10', 1024],
    ['2 ** 10', 1024],
    ['2 ^ 3 ^ 2', 512],
    ['2 ** 3 ** 2', 512],
    ['(2 ^ 3) ^ 2', 64],
    ['2 ^ 3 ** 2', 512],
    ['2 * 3 ^ 2', 18],
    ['2 * (3 + 4) ^ 2', 98],
    ['-2 ^ 2', -4],
    ['- 2 ** 2', -4],
    ['(-2) ^ 2', 4],
    ['--2 ^ 2', 4],
    ['-(-2) ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['2 ^ -2 ^ 2', 0.0625],
    ['3 * -2 ^ 2', -12],
    ['+3', 3],
    ['--3', 3],
    ['-(1 + 2)', -3],
    ['1e3 + .5', 1000.5],
    ['0.1 + 0.2', 0.1 + 0.2],
    ['1 +\n 2', 3],
  ];
  for (const [expression, expected] of cases) {
    it(`${JSON.stringify(expression)} = ${expected}`, () => assert.equal(evaluateText(expression), expected));
  }
});

describe('evaluate: functions and constants', () => {
  const cases: [string, number][] = [
    ['abs(-3)', 3],
    ['sqrt(16) + cbrt(27)', 7],
    ['exp(0) + log(1)', 1],
    ['log(e)', 1],
    ['log2(8) + log10(1000)', 6],
    ['sin(0) + cos(0) + tan(0)', 1],
    ['asin(1)', Math.PI / 2],
    ['acos(1) + atan(0)', 0],
    ['atan2(1, 1)', Math.PI / 4],
    ['sinh(0) + cosh(0) + tanh(0)', 1],
    ['floor(2.7) + ceil(2.1) + round(2.5) + trunc(-2.7)', 2 + 3 + 3 - 2],
    ['sign(-5)', -1],
    ['min(3, 1, 2) + max(3, 1, 2)', 4],
    ['max(7)', 7],
    ['pow(2, 8)', 256],
    ['hypot(3, 4)', 5],
    ['pi', Math.PI],
    ['tau / 2', Math.PI],
    ['e', Math.E],
    ['(sqrt)(4)', 2],
    ['sqrt(sqrt(16)) ^ 2', 4],
  ];
  for (const [expression, expected] of cases) {
    it(`${JSON.stringify(expression)} = ${expected}`, () => assert.equal(evaluateText(expression), expected));
  }
});

describe('evaluate: variables', () => {
  it('reads the values given', () => {
    assert.equal(evaluateText('x * 2', { x: 3 }), 6);
    assert.equal(evaluateText('-x ^ 2 + rate_2 * _n', { x: 3, rate_2: 0.5, _n: 4 }), -7);
  });

  it('lets variables use names Object.prototype has, without reaching it', () => {
    assert.equal(
      evaluateText('constructor + toString * valueOf', { constructor: 1, toString: 2, valueOf: 3 }),
      7,
    );
  });
});

describe('evaluate: non-finite results are errors, naming the step', () => {
  const cases: [string, RegExp, Record<string, number>?][] = [
    ['1 / 0', /^division by zero in 1 \/ 0$/],
    ['0 / 0', /^division by zero in 0 \/ 0$/],
    ['5 % 0', /^division by zero in 5 % 0$/],
    ['x / y', /^division by zero in 3 \/ 0$/, { x: 3, y: 0 }],
    ['sqrt(-1)', /^sqrt\(-1\) is not a real number$/],
    ['1 + log(-1)', /^log\(-1\) is not a real number$/],
    ['log(0)', /^log\(0\) is infinite or too large to represent$/],
    ['asin(2)', /^asin\(2\) is not a real number$/],
    ['10 ^ 400', /^10 \^ 400 is infinite or too large to represent$/],
    ['exp(1000) - exp(1000)', /^exp\(1000\) is infinite or too large to represent$/],
    ['1e308 * 10', /^1e\+308 \* 10 is infinite or too large to represent$/],
    ['(-8) ^ (1 / 3)', /^-8 \^ 0.3333333333333333 is not a real number$/],
  ];
  for (const [expression, message, variables] of cases) {
    it(`refuses to produce a value for ${JSON.stringify(expression)}`, () => {
      assert.throws(
        () => evaluateText(expression, variables),
        (error) => error instanceof EvaluationError && message.test(error.message),
      );
    });
  }
});
