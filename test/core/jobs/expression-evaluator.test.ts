import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from '../../../src/core/errors.js';
import {
  expressionEvaluatorJob,
  MAX_VARIABLES,
  runExpressionEvaluator,
} from '../../../src/core/jobs/expression-evaluator.js';
import type { ExpressionEvaluatorArguments } from '../../../src/core/types.js';
import { CapturedOutput, FIXED_STAMP, fixedClock } from './job-output.js';

const args = (expression: unknown, variables?: unknown): ExpressionEvaluatorArguments =>
  ({ type: 'expression-evaluator', expression, variables }) as unknown as ExpressionEvaluatorArguments;

function assertInvalid(input: ExpressionEvaluatorArguments, field: string, reason: RegExp): void {
  assert.throws(
    () => expressionEvaluatorJob.validate(input),
    (error) => {
      assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
      assert.equal(error.field, field);
      assert.match(error.message, reason);
      return true;
    },
  );
}

function run(input: ExpressionEvaluatorArguments): { exitCode: number; lines: string[] } {
  const out = new CapturedOutput();
  const exitCode = runExpressionEvaluator(input, out, fixedClock);
  return { exitCode, lines: out.lines.map((line) => line.slice(FIXED_STAMP.length + 1)) };
}

describe('expression evaluator validation', () => {
  it('returns normalized arguments: no unknown fields, absent variables as none', () => {
    assert.deepEqual(
      expressionEvaluatorJob.validate({
        ...args('x * 2', { x: 3 }),
        extra: 1,
      } as ExpressionEvaluatorArguments),
      {
        type: 'expression-evaluator',
        expression: 'x * 2',
        variables: { x: 3 },
      },
    );
    assert.deepEqual(expressionEvaluatorJob.validate(args('1 + 1')).variables, {});
  });

  it('checks the expression without evaluating it', () => {
    // 1/0 has no value, but that is for the job to find: validation only reads the tree.
    assert.doesNotThrow(() => expressionEvaluatorJob.validate(args('1 / 0', {})));
  });

  it('refuses an expression that is not a string', () => {
    assertInvalid(args(42, {}), 'expression', /must be a string/);
  });

  it('refuses names the variables do not define', () => {
    assertInvalid(args('x + y', { x: 1 }), 'expression', /unknown name 'y'/);
  });

  it(`accepts ${MAX_VARIABLES} variables and refuses more`, () => {
    const variables = (count: number): Record<string, number> =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`v${index}`, index]));
    assert.doesNotThrow(() => expressionEvaluatorJob.validate(args('v99', variables(MAX_VARIABLES))));
    assertInvalid(args('v0', variables(MAX_VARIABLES + 1)), 'variables', /at most 100 are allowed, got 101/);
  });

  const badVariables: [string, unknown, RegExp][] = [
    ['a list', [1, 2], /must be an object/],
    ['a string', 'x=1', /must be an object/],
    ['null', null, /must be an object/],
    ['a name starting with a digit', { '1x': 1 }, /the name "1x" must be a letter/],
    ['a name with a dash', { 'a-b': 1 }, /the name "a-b"/],
    ['an empty name', { '': 1 }, /the name ""/],
    [
      'a name of 65 characters',
      { [`a${'b'.repeat(64)}`]: 1 },
      /must be a letter or '_' followed by at most 63/,
    ],
    ['a function name', { sqrt: 1 }, /'sqrt' is a reserved name/],
    ['a constant name', { pi: 3 }, /'pi' is a reserved name/],
    ['a literal name', { true: 1 }, /'true' is a reserved name/],
    ['this', { this: 1 }, /'this' is a reserved name/],
    ['__proto__', JSON.parse('{"__proto__": 1}'), /'__proto__' is a reserved name/],
    ['Infinity', { x: Infinity }, /'x' must be a finite number, got Infinity/],
    ['NaN', { x: Number.NaN }, /'x' must be a finite number, got NaN/],
    ['a numeric string', { x: '3' }, /'x' must be a finite number, got "3"/],
    ['an object', { x: { valueOf: () => 3 } }, /'x' must be a finite number, got a value of type object/],
    ['a function', { x: () => 3 }, /'x' must be a finite number, got a value of type function/],
  ];
  for (const [what, variables, reason] of badVariables) {
    it(`refuses variables with ${what}`, () => assertInvalid(args('1', variables), 'variables', reason));
  }

  it('accepts a 64-character name', () => {
    const name = `a${'b'.repeat(63)}`;
    assert.equal(expressionEvaluatorJob.validate(args(name, { [name]: 2 })).variables[name], 2);
  });
});

describe('expression evaluator job', () => {
  it('is named Expression Evaluator', () => {
    assert.equal(expressionEvaluatorJob.displayName, 'Expression Evaluator');
  });

  it('prints what it evaluates, the result and Complete', () => {
    assert.deepEqual(run(args('x * 2', { x: 3 })), {
      exitCode: 0,
      lines: [
        "[JOB] Starting job 'Expression Evaluator'",
        "[EVAL] Evaluating 'x * 2' with x = 3",
        '[RESULT] 6',
        '[JOB] Complete',
      ],
    });
  });

  it('lists every variable and writes the expression on one line', () => {
    const { exitCode, lines } = run(args('x +\ny', { x: 1.5, y: -2 }));
    assert.equal(exitCode, 0);
    assert.deepEqual(lines.slice(1, 3), [
      "[EVAL] Evaluating 'x +\\u000ay' with x = 1.5, y = -2",
      '[RESULT] -0.5',
    ]);
  });

  it('prints results the way JavaScript writes numbers', () => {
    assert.equal(run(args('0.1 + 0.2', {})).lines[2], '[RESULT] 0.30000000000000004');
    assert.equal(run(args('10 ^ 21', {})).lines[2], '[RESULT] 1e+21');
    assert.equal(run(args('-0', {})).lines[2], '[RESULT] 0');
  });

  it('reports a non-finite result as an error, not as Infinity or NaN', () => {
    for (const [expression, message] of [
      ['1 / 0', 'division by zero in 1 / 0'],
      ['sqrt(-1)', 'sqrt(-1) is not a real number'],
    ]) {
      const { exitCode, lines } = run(args(expression, {}));
      assert.equal(exitCode, 1);
      assert.deepEqual(lines.slice(2), [`[ERROR] ${message}`, '[JOB] Failed']);
      assert.doesNotMatch(lines.join('\n'), /Infinity|NaN|RESULT/);
    }
  });

  it('reports arguments it refuses as an error when run without validation', () => {
    assert.deepEqual(run(args('a.b', {})), {
      exitCode: 1,
      lines: [
        "[JOB] Starting job 'Expression Evaluator'",
        "[ERROR] expression: may not access members ('.' or '[...]')",
        '[JOB] Failed',
      ],
    });
  });

  it('runs through its definition', async () => {
    const out = new CapturedOutput();
    assert.equal(await expressionEvaluatorJob.run?.(args('2 ^ 3 ^ 2', {}), out), 0);
    assert.match(out.text, /\[RESULT\] 512\n/);
  });
});

/**
 * The attacks published against expr-eval: GHSA-8gw3-rxh4-v6jx (prototype pollution, then code
 * execution through `constructor`) and CVE-2025-12735 (calling functions passed in the context).
 */
describe('expression evaluator against the expr-eval advisories', () => {
  const attacks: [string, unknown][] = [
    ['Object=constructor;a=Object.fromEntries([["a","polluted"]]);Object.assign(__proto__, a)', {}],
    ['__proto__.polluted=1', {}],
    ['__proto__.polluted = "yes"', {}],
    ['constructor.prototype.polluted=1', {}],
    ['constructor.constructor("return process")()', {}],
    ['constructor.constructor("return process")().mainModule.require("child_process").execSync("id")', {}],
    ['(1).constructor.constructor("return process")()', {}],
    ['pi.constructor.constructor("return process")()', {}],
    ['sqrt.constructor("return process")()', {}],
    ['[].constructor.constructor("return process")()', {}],
    ['"".constructor.prototype.polluted', {}],
    ['this.constructor', {}],
    ['toString.call(1)', {}],
    ['Object.assign(__proto__, {polluted: 1})', {}],
    ['exec("id")', {}],
    ['f("id")', { f: 1 }],
    ['test.write("pwned.txt","Hello!")', {}],
    ['valueOf()', {}],
    ['__defineGetter__("polluted", sqrt)', {}],
  ];

  for (const [expression, variables] of attacks) {
    it(`refuses ${expression}`, () => {
      assertInvalid(args(expression, variables), 'expression', /./);
      const { exitCode, lines } = run(args(expression, variables));
      assert.equal(exitCode, 1);
      assert.match(lines.at(-2) ?? '', /^\[ERROR\] expression: /);
      assert.equal(lines.at(-1), '[JOB] Failed');
    });
  }

  it('refuses functions and objects passed as variables, without calling them', () => {
    let called = false;
    const exec = (): number => {
      called = true;
      return 0;
    };
    const test = { write: exec, valueOf: exec, toString: exec };
    assertInvalid(args('exec("id")', { exec }), 'variables', /'exec' must be a finite number/);
    assertInvalid(
      args('test.write("pwned.txt","Hello!")', { test }),
      'variables',
      /'test' must be a finite number/,
    );
    assert.equal(run(args('exec(1)', { exec })).exitCode, 1);
    assert.equal(run(args('test + 1', { test })).exitCode, 1);
    assert.equal(called, false);
  });

  it('leaves Object.prototype untouched', () => {
    for (const [expression, variables] of attacks) run(args(expression, variables));
    const probe: Record<string, unknown> = {};
    assert.equal(probe.polluted, undefined);
    assert.equal(probe.a, undefined);
    assert.deepEqual(
      Object.getOwnPropertyNames(Object.prototype).filter((name) => /polluted|^a$/.test(name)),
      [],
    );
  });
});
