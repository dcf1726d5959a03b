import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataFilterPasses, exprFilterPasses, contextFilterPasses, timeFilterPasses, scriptFilterPasses, filterEvent, checkFilters, FilterError, type DataFilter } from './filters.js';
import { applyTransform } from './transform.js';
import type { CloudEvent } from '../config.js';

const data = { a: true, b: { c: 3.14, d: 'hello world', n: '42' }, body: { message: 'hey', value: 51, items: [{ name: 'x' }, { name: 'y' }] } };
const ev = (d: unknown = data, o: Partial<CloudEvent> = {}): CloudEvent => ({ specversion: '1.0', id: '1', source: 'webhook', type: 'webhook', subject: 'example', time: '2024-05-01T10:30:00Z', datacontenttype: 'application/json', data: d, ...o });

test('data filters: string (regex), number (comparators), bool, templates, value lists', () => {
  const rows: [DataFilter, boolean][] = [
    [{ path: 'body.message', type: 'string', value: ['hello', 'hey'] }, true],
    [{ path: 'body.message', type: 'string', value: ['^he.$'] }, true],
    [{ path: 'body.message', type: 'string', value: ['nope'] }, false],
    [{ path: 'body.message', type: 'string', value: ['hey'], comparator: '!=' }, false],
    [{ path: 'body.message', type: 'string', value: ['nope'], comparator: '!=' }, true],
    [{ path: 'b.d', type: 'string', value: ['world'] }, true],
    [{ path: 'b.c', type: 'number', value: ['3.14'] }, true],
    [{ path: 'body.value', type: 'number', value: ['50.0'], comparator: '>' }, true],
    [{ path: 'body.value', type: 'number', value: ['51'], comparator: '>=' }, true],
    [{ path: 'body.value', type: 'number', value: ['50'], comparator: '<' }, false],
    [{ path: 'body.value', type: 'number', value: ['51'], comparator: '!=' }, false],
    [{ path: 'b.n', type: 'number', value: ['42'] }, true],
    [{ path: 'a', type: 'bool', value: ['true'] }, true],
    [{ path: 'a', type: 'bool', value: ['false'] }, false],
    [{ path: 'missing.path', type: 'string', value: ['.*'] }, false],
    [{ path: 'body.items.1.name', type: 'string', value: ['^y$'] }, true],
    [{ path: 'body.items.#', type: 'number', value: ['2'] }, true],
    [{ path: 'body.message', type: 'string', value: ['HEY'], template: '{{ upper .Input }}' }, true],
    [{ path: 'body.value', type: 'number', value: ['102'], template: '{{ mul .Input 2 }}' }, true],
  ];
  for (const [f, want] of rows) assert.equal(dataFilterPasses(f, data), want, JSON.stringify(f));
});

test('data filters: a bad regex, type or number is a FilterError naming the filter', () => {
  assert.throws(() => dataFilterPasses({ path: 'body.message', type: 'string', value: ['(unclosed'] }, data, 2), (e: unknown) => e instanceof FilterError && /data filter #2 \(path "body.message"\)/.test((e as Error).message));
  assert.throws(() => dataFilterPasses({ path: 'body.value', type: 'float', value: ['1'] }, data), /unknown type/);
  assert.throws(() => dataFilterPasses({ path: 'body.value', type: 'number', value: ['abc'] }, data), /not a number/);
  assert.throws(() => dataFilterPasses({ path: 'body.#(', type: 'string', value: ['x'] }, data), /unbalanced/);
  assert.deepEqual(checkFilters({ data: [{ path: 'a', type: 'string', value: ['['] }] }).length, 1);
  assert.match(checkFilters({ exprs: [{ expr: 'a ==', fields: [{ name: 'a', path: 'a' }] }] })[0]!, /exprs filter #0/);
  assert.deepEqual(checkFilters({ data: [{ path: 'a', type: 'bool', value: ['true'] }], exprs: [{ expr: 'a == true', fields: [{ name: 'a', path: 'a' }] }] }), []);
});

test('exprs filters: govaluate over named fields', () => {
  const rows: [string, { name: string; path: string }[], boolean][] = [
    ['a == "hey" || c == 10', [{ name: 'a', path: 'body.message' }, { name: 'c', path: 'body.value' }], true],
    ['v > 50 && v < 60', [{ name: 'v', path: 'body.value' }], true],
    ['v > 60', [{ name: 'v', path: 'body.value' }], false],
    ['e == false', [{ name: 'e', path: 'a' }], false],
    ['m =~ "^h"', [{ name: 'm', path: 'body.message' }], true],
    ['x == 1', [{ name: 'x', path: 'not.there' }], false],
  ];
  for (const [expr, fields, want] of rows) assert.equal(exprFilterPasses({ expr, fields }, data), want, expr);
  assert.throws(() => exprFilterPasses({ expr: 'a +', fields: [{ name: 'a', path: 'a' }] }, data), FilterError);
  assert.throws(() => exprFilterPasses({ expr: 'a + 1', fields: [{ name: 'a', path: 'b.c' }] }, data), /not a bool/);
});

test('context filters, time windows (wrapping midnight, timezones)', () => {
  assert.equal(contextFilterPasses({ source: 'webhook', subject: 'example' }, ev()), true);
  assert.equal(contextFilterPasses({ source: 'custom-webhook' }, ev()), false);
  assert.equal(contextFilterPasses({ datacontenttype: 'application/json', type: 'webhook' }, ev()), true);
  const at = new Date('2024-05-01T10:30:00Z');
  assert.equal(timeFilterPasses({ start: '09:00:00', stop: '17:00:00' }, at), true);
  assert.equal(timeFilterPasses({ start: '11:00:00', stop: '17:00:00' }, at), false);
  assert.equal(timeFilterPasses({ start: '22:00:00', stop: '11:00:00' }, at), true);
  assert.equal(timeFilterPasses({ start: '09:00:00', stop: '17:00:00', timezone: 'America/New_York' }, at), false); // 06:30 there
  assert.equal(timeFilterPasses({ start: '06:00:00', stop: '07:00:00', timezone: 'America/New_York' }, at), true);
  assert.throws(() => timeFilterPasses({ start: '9am', stop: '17:00:00' }, at), /HH:MM:SS/);
});

test('script filter (Lua) and filtersLogicalOperator / data and exprs operators', async () => {
  assert.equal(await scriptFilterPasses('if event.body.message == "hey" and event.b.c > 3 then return true else return false end', data), true);
  assert.equal(await scriptFilterPasses('return event.body.value > 100', data), false);
  await assert.rejects(scriptFilterPasses('return 1', data), /not a boolean/);
  await assert.rejects(scriptFilterPasses('return (', data), FilterError);
  const yes: DataFilter = { path: 'a', type: 'bool', value: ['true'] };
  const no: DataFilter = { path: 'a', type: 'bool', value: ['false'] };
  assert.equal(await filterEvent({ data: [yes, no] }, ev()), false);
  assert.equal(await filterEvent({ data: [yes, no], dataLogicalOperator: 'or' }, ev()), true);
  assert.equal(await filterEvent({ data: [yes], context: { source: 'other' } }, ev()), false);
  assert.equal(await filterEvent({ data: [yes], context: { source: 'other' } }, ev(), 'or'), true);
  assert.equal(await filterEvent({ exprs: [{ expr: 'a == true', fields: [{ name: 'a', path: 'a' }] }, { expr: 'a == false', fields: [{ name: 'a', path: 'a' }] }], exprLogicalOperator: 'or' }, ev()), true);
  assert.equal(await filterEvent({ time: { start: '10:00:00', stop: '11:00:00' }, script: 'return true' }, ev()), true);
  assert.equal(await filterEvent(undefined, ev()), true);
});

test('transforms: jq and Lua', async () => {
  assert.deepEqual(await applyTransform({ jq: '.body.message *= 2' }, { body: { message: 'ab' } }), { body: { message: 'abab' } });
  assert.deepEqual(await applyTransform({ script: "event.body.message='updated'\nreturn event" }, { body: { message: 'x' } }), { body: { message: 'updated' } });
  await assert.rejects(applyTransform({ jq: '.[[' }, {}), /jq transform/);
  assert.deepEqual(await applyTransform(undefined, { a: 1 }), { a: 1 });
});
