/** docs/server.md's settings table lists every setting with its flag, environment variable and default. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { SETTING_LIST } from '../../src/server/config/settings.js';
import { ROOT } from './helpers/server-process.js';

describe('docs/server.md', () => {
  it('has a row for every setting, with its flag, environment variable and default', async () => {
    const docs = await readFile(`${ROOT}docs/server.md`, 'utf8');
    for (const setting of SETTING_LIST) {
      const row = docs.split('\n').find((line) => line.startsWith(`| \`${setting.key}\``));
      assert.ok(row !== undefined, `no row for ${setting.key}`);
      const cells = row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
      assert.equal(cells[2], `\`${setting.flag}\``, `${setting.key}: flag`);
      assert.equal(cells[3], `\`${setting.env}\``, `${setting.key}: environment variable`);
      const shown = setting.shownDefault ?? JSON.stringify(setting.default).replace(/^"(.*)"$/, '$1');
      assert.equal(cells[4], shown, `${setting.key}: default`);
    }
  });
});
