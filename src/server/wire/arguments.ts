/**
 * Job arguments between the wire's `Arguments` oneof and the core's tagged union. The oneof case
 * must match the request's type; the core validates the values themselves.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import type { JobArguments, JobType } from '../../core/types.js';
import type { Arguments } from '../../gen/workernator/v1/workernator.js';
import { wireJobTypeName } from './enums.js';

type WireCase = NonNullable<Arguments['kind']>['$case'];

const CASE_OF_TYPE = {
  noop: 'noop',
  fibonacci: 'fibonacci',
  'expression-evaluator': 'expressionEvaluator',
  'wait-then-send': 'waitThenSend',
  command: 'command',
} as const satisfies Record<JobType, WireCase>;

const TYPE_OF_CASE = {
  noop: 'noop',
  fibonacci: 'fibonacci',
  expressionEvaluator: 'expression-evaluator',
  waitThenSend: 'wait-then-send',
  command: 'command',
} as const satisfies Record<WireCase, JobType>;

const PROTO_CASE_NAME = {
  noop: 'noop',
  fibonacci: 'fibonacci',
  expressionEvaluator: 'expression_evaluator',
  waitThenSend: 'wait_then_send',
  command: 'command',
} as const satisfies Record<WireCase, string>;

/**
 * The core arguments of a Start request of `type`. A Noop request may leave `args` unset (the zero
 * request starts nothing); every other type needs its own case of the oneof.
 */
export function argumentsFromWire(type: JobType, args: Arguments | undefined): JobArguments {
  const kind = args?.kind;
  if (kind === undefined) {
    if (type === 'noop') return { type: 'noop' };
    throw new InvalidArgumentError(
      'args',
      `type ${wireJobTypeName(type)} needs args.${PROTO_CASE_NAME[CASE_OF_TYPE[type]]}, and no arguments were given`,
    );
  }
  if (TYPE_OF_CASE[kind.$case] !== type) {
    throw new InvalidArgumentError(
      'args',
      `the arguments are for ${TYPE_OF_CASE[kind.$case]} but type is ${wireJobTypeName(type)}`,
    );
  }
  switch (kind.$case) {
    case 'noop':
      return { type: 'noop' };
    case 'fibonacci':
      return { type: 'fibonacci', position: kind.value.position };
    case 'expressionEvaluator':
      return {
        type: 'expression-evaluator',
        expression: kind.value.expression,
        variables: kind.value.variables,
      };
    case 'waitThenSend':
      return { type: 'wait-then-send', url: kind.value.url, waitSeconds: kind.value.waitSeconds };
    case 'command': {
      const { executable, args: argv, env, workingDir } = kind.value;
      return {
        type: 'command',
        executable,
        args: argv,
        env,
        // proto3 has no "unset" for a string: empty means the launcher's default.
        ...(workingDir === '' ? {} : { workingDir }),
      };
    }
  }
}

export function argumentsToWire(args: JobArguments): Arguments {
  switch (args.type) {
    case 'noop':
      return { kind: { $case: 'noop', value: {} } };
    case 'fibonacci':
      return { kind: { $case: 'fibonacci', value: { position: args.position } } };
    case 'expression-evaluator':
      return {
        kind: {
          $case: 'expressionEvaluator',
          value: { expression: args.expression, variables: { ...args.variables } },
        },
      };
    case 'wait-then-send':
      return { kind: { $case: 'waitThenSend', value: { url: args.url, waitSeconds: args.waitSeconds } } };
    case 'command':
      return {
        kind: {
          $case: 'command',
          value: {
            executable: args.executable,
            args: [...args.args],
            env: { ...args.env },
            workingDir: args.workingDir ?? '',
          },
        },
      };
  }
}
