import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_LENGTH,
  parseExpression,
} from '../../../src/core/jobs/expression/parse.js';

const noVariables: ReadonlySet<string> = new Set();

/** Asserts that parsing refuses, naming the expression field, with a message matching `reason`. */
function assertRefused(
  expression: string,
  reason: RegExp,
  variables: ReadonlySet<string> = noVariables,
): void {
  assert.throws(
    () => parseExpression(expression, variables),
    (error) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.equal(error.field, 'expression');
      assert.match(error.message, reason);
      return true;
    },
    expression,
  );
}

describe('parseExpression: the tree it builds', () => {
  it('keeps numbers, variables and constants', () => {
    assert.deepEqual(parseExpression('1.5', noVariables), { kind: 'number', value: 1.5 });
    assert.deepEqual(parseExpression('x', new Set(['x'])), { kind: 'variable', name: 'x' });
    assert.deepEqual(parseExpression('pi', noVariables), { kind: 'number', value: Math.PI });
  });

  it('binds a sign looser than a power, unless parenthesized', () => {
    const two = { kind: 'number', value: 2 } as const;
    assert.deepEqual(parseExpression('-2^2', noVariables), {
      kind: 'unary',
      operator: '-',
      operand: { kind: 'binary', operator: '^', left: two, right: two },
    });
    assert.deepEqual(parseExpression('(-2)^2', noVariables), {
      kind: 'binary',
      operator: '^',
      left: { kind: 'unary', operator: '-', operand: two },
      right: two,
    });
  });

  it('accepts whitespace and newlines between tokens', () => {
    assert.deepEqual(parseExpression(' \t1\n', noVariables), { kind: 'number', value: 1 });
  });
});

describe('parseExpression: refusals', () => {
  const cases: [string, RegExp][] = [
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    ['a.b', /may not access members/],
    ['a["b"]', /may not access members/],
    ['a?.b', /may not access members/],
    ['pi.constructor', /may not access members/],
    ['sqrt.call(1)', /may not access members/],
    ['f(1)', /unknown function 'f'/],
    ['toString()', /unknown function 'toString'/],
    ['constructor()', /unknown function 'constructor'/],
    ['sqrt(1)(2)', /may only call the math functions by name/],
    ['(1)(2)', /may only call the math functions by name/],
    ['a = 1', /may not assign/],
    ['a == 1', /may not assign or compare/],
    ['"id"', /may not contain strings/],
    ["'id'", /may not contain strings/],
    ['sqrt("4")', /may not contain strings/],
    ['[1, 2]', /may not contain arrays/],
    ['this', /may not use 'this'/],
    ['x ? 1 : 2', /conditional operator/],
    ['1; 2', /single expression/],
    ['1, 2', /single expression/],
    ['(1, 2)', /single expression/],
    ['max((1, 2))', /single expression/],
    ['true', /only contain numbers, not true/],
    ['null', /only contain numbers, not null/],
    ['!1', /operator '!'/],
    ['~1', /operator '~'/],
    ['1 && 2', /operator '&&'/],
    ['1 || 2', /operator '\|\|'/],
    ['1 | 2', /operator '\|'/],
    ['1 & 2', /operator '&'/],
    ['1 << 2', /operator '<<'/],
    ['1 < 2', /operator '<'/],
    ['1 ?? 2', /operator '\?\?'/],
    ['1e400', /the number 1e400 is too large/],
    ['y', /unknown name 'y'/],
    ['constructor', /unknown name 'constructor'/],
    ['__proto__', /unknown name '__proto__'/],
    ['toString', /unknown name 'toString'/],
    ['valueOf', /unknown name 'valueOf'/],
    ['hasOwnProperty', /unknown name 'hasOwnProperty'/],
    ['Math', /unknown name 'Math'/],
    ['process', /unknown name 'process'/],
    ['sqrt', /'sqrt' is a function: call it, as in sqrt\(x\)/],
    ['sqrt()', /sqrt\(\) takes 1 argument, got 0/],
    ['sqrt(1, 2)', /sqrt\(\) takes 1 argument, got 2/],
    ['atan2(1)', /atan2\(\) takes 2 arguments, got 1/],
    ['max()', /max\(\) takes at least 1 arguments?, got 0/],
    ['()', /cannot be parsed/],
    ['1 +', /cannot be parsed/],
    ['`x`', /cannot be parsed/],
    ['0x10', /cannot be parsed/],
    ['(1', /cannot be parsed/],
  ];
  for (const [expression, reason] of cases) {
    it(`refuses ${JSON.stringify(expression)}`, () => assertRefused(expression, reason));
  }

  it('refuses calling a variable', () => {
    assertRefused('x(1)', /'x' is a variable, not a function/, new Set(['x']));
  });

  it('escapes control characters in its messages', () => {
    assertRefused('1 \u001b[2J', /cannot be parsed: .*\\u001b/);
    assert.throws(
      () => parseExpression('\u001b', noVariables),
      (error) => error instanceof Error && !error.message.includes('\u001b'),
    );
  });

  it(`refuses more than ${MAX_EXPRESSION_LENGTH} characters`, () => {
    const longest = `1${' +1'.repeat((MAX_EXPRESSION_LENGTH - 1) / 3)}`.padEnd(MAX_EXPRESSION_LENGTH, ' ');
    assert.equal(longest.length, MAX_EXPRESSION_LENGTH);
    assertRefused(`${longest} `, /at most 4096 characters, got 4097/);
  });

  it(`accepts nesting up to ${MAX_EXPRESSION_DEPTH} levels and refuses deeper`, () => {
    const parens = (depth: number): string => `${'('.repeat(depth - 1)}1${')'.repeat(depth - 1)}`;
    assert.deepEqual(parseExpression(parens(MAX_EXPRESSION_DEPTH), noVariables), {
      kind: 'number',
      value: 1,
    });
    assertRefused(parens(MAX_EXPRESSION_DEPTH + 1), /nested too deeply/);
    const signs = (depth: number): string => `${'-'.repeat(depth - 1)}1`;
    assert.doesNotThrow(() => parseExpression(signs(MAX_EXPRESSION_DEPTH), noVariables));
    assertRefused(signs(MAX_EXPRESSION_DEPTH + 1), /nested too deeply/);
    const sum = (terms: number): string => Array.from({ length: terms }, () => '1').join('+');
    assert.doesNotThrow(() => parseExpression(sum(MAX_EXPRESSION_DEPTH), noVariables));
    assertRefused(sum(MAX_EXPRESSION_DEPTH + 1), /nested too deeply/);
  });

  it('refuses deep nesting that would overflow the parser, without overflowing', () => {
    assertRefused(`${'('.repeat(2000)}1${')'.repeat(2000)}`, /nested too deeply/);
    assertRefused(`${'['.repeat(2000)}1${']'.repeat(2000)}`, /nested too deeply/);
    assertRefused(`${'- '.repeat(2000)}1`, /nested too deeply/);
    assertRefused(`${'1?'.repeat(1000)}1${':1'.repeat(1000)}`, /nested too deeply|conditional operator/);
  });
});
