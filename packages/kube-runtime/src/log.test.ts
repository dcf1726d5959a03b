// The log levels: thresholds and `--loglevel` values as upstream's components accept them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelEnabled, newLogger, parseLevel } from './log.js';

test('parseLevel takes logrus names (warning is warn, fatal/panic log errors) and refuses others', () => {
  assert.deepEqual(['debug', 'info', 'warn', 'warning', 'WARNING', 'error', 'fatal', 'panic'].map(parseLevel), ['debug', 'info', 'warn', 'warn', 'warn', 'error', 'error', 'error']);
  assert.equal(parseLevel('loud'), undefined);
  assert.equal(parseLevel('constructor'), undefined);
});

test('levelEnabled and newLogger keep lines at or above the threshold', () => {
  assert.deepEqual((['debug', 'info', 'warn', 'error'] as const).map((l) => levelEnabled(l, 'warn')), [false, false, true, true]);
  const out: string[] = [];
  const log = newLogger('info', (l) => out.push(l), 'text');
  log.debug('no');
  log.warn('yes', { n: 1 });
  assert.equal(out.length, 1);
  assert.match(out[0]!, /level=warn msg="yes" n=1$/);
});
