// Helpers for the table-driven conformance tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TemplateSet, type TemplateOptions } from './template.js';
import { GoTime, UTC } from './time.js';

/** [template, data, expected output | { err: substring }, options?] */
export type Case = [string, unknown, string | { err: string } | RegExp, TemplateOptions?];

/** 2024-03-15T10:30:45.123456789Z, a Friday. */
export const FIXED_NOW = new GoTime(1710498645, 123456789, UTC);

export function render(tmpl: string, data: unknown, opts: TemplateOptions = {}): string {
  const set = new TemplateSet({ sprigOptions: { now: () => FIXED_NOW, env: { HOME: '/home/u', USER: 'u' } }, ...opts });
  set.parse('t', tmpl);
  return set.execute('t', data);
}

export function runCases(group: string, cases: Case[]): void {
  cases.forEach(([tmpl, data, expected, opts], i) => {
    test(`${group} #${i + 1}: ${JSON.stringify(tmpl).slice(0, 80)}`, () => {
      if (typeof expected === 'string') {
        assert.equal(render(tmpl, data, opts), expected);
      } else if (expected instanceof RegExp) {
        assert.match(render(tmpl, data, opts), expected);
      } else {
        let out: string | undefined;
        let msg = '';
        try {
          out = render(tmpl, data, opts);
        } catch (e) {
          msg = (e as Error).message;
        }
        assert.ok(out === undefined, `expected error containing ${JSON.stringify(expected.err)}, got output ${JSON.stringify(out)}`);
        assert.ok(msg.includes(expected.err), `error ${JSON.stringify(msg)} does not contain ${JSON.stringify(expected.err)}`);
      }
    });
  });
}
