/** The authorization table: it covers exactly the served methods, and denies by default. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobServiceService } from '../../src/gen/workernator/v1/workernator.js';
import { authorizeMethod, METHOD_RULES } from '../../src/server/authz.js';
import { PermissionDeniedError } from '../../src/server/errors.js';
import { HealthServiceDefinition } from '../../src/server/health/health-service.js';

describe('METHOD_RULES', () => {
  it('covers exactly the methods of the generated JobService and of the health service', () => {
    const served = [...Object.values(JobServiceService), ...Object.values(HealthServiceDefinition)]
      .map((m) => m.path)
      .sort();
    assert.deepEqual(Object.keys(METHOD_RULES).sort(), served);
  });

  it('denies a method that has no rule, whatever the role', () => {
    for (const role of ['admin', 'user', 'viewer'] as const) {
      assert.throws(
        () => authorizeMethod('/workernator.v1.JobService/Delete', { name: 'x', role }),
        PermissionDeniedError,
      );
      assert.throws(() => authorizeMethod('__proto__', { name: 'x', role }), PermissionDeniedError);
    }
  });

  it('matches the roles table of the docs', () => {
    const table: Record<string, unknown> = {};
    for (const method of Object.values(JobServiceService)) {
      table[method.path.slice(method.path.lastIndexOf('/') + 1)] = METHOD_RULES[method.path];
    }
    assert.deepEqual(table, {
      Start: { admin: 'all', user: 'own', viewer: 'none' },
      Stop: { admin: 'all', user: 'own', viewer: 'none' },
      Status: { admin: 'all', user: 'own', viewer: 'all' },
      Tail: { admin: 'all', user: 'own', viewer: 'all' },
      List: { admin: 'all', user: 'own', viewer: 'all' },
    });
  });
});
