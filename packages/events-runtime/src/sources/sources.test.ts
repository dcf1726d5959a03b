import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from './file.js';
import { isExcluded, goTimeString, missedRuns } from './calendar.js';
import { Cron } from 'croner';
import { labelSelector, fieldsMatch } from './resource.js';
import { parseDuration, bodyOf } from './common.js';
import { canonicalHeader, GITLAB_EVENTS } from './webhook.js';
import { passesFilter } from '../eventsource.js';
import { parseStreamConfig } from '../bus/index.js';
import { parseUserPass } from '../config.js';

test('file: classifying notifications', () => {
  const s = (o: Partial<{ mode: number; size: number; mtimeMs: number; ino: number }> = {}) => ({ mode: 0o644, size: 1, mtimeMs: 1, ino: 7, ...o });
  const rows: [Parameters<typeof classify>, string | undefined][] = [
    [['rename', undefined, s(), false], 'CREATE'],
    [['rename', s(), undefined, false], 'REMOVE'],
    [['rename', s(), undefined, true], 'RENAME'],
    [['change', s(), s({ size: 5, mtimeMs: 2 }), false], 'WRITE'],
    [['change', s(), s({ mode: 0o600 }), false], 'CHMOD'],
    [['rename', s(), s({ ino: 9 }), false], 'CREATE'],
    [['rename', undefined, undefined, false], undefined],
  ];
  for (const [args, want] of rows) assert.equal(classify(...args), want, JSON.stringify(args));
});

test('calendar: exclusion dates in the timezone, Go time strings', () => {
  const d = new Date('2024-12-25T03:00:00Z');
  assert.equal(isExcluded(d, ['2024-12-25'], 'UTC'), true);
  assert.equal(isExcluded(d, ['2024-12-25'], 'America/Los_Angeles'), false); // still the 24th there
  assert.equal(isExcluded(d, ['2024-12-24T10:00:00-08:00'], 'America/Los_Angeles'), true);
  assert.equal(isExcluded(d, undefined), false);
  assert.equal(goTimeString(new Date('2024-01-02T03:04:05Z')), '2024-01-02 03:04:05 +0000 UTC');
  // catch-up: the schedule times missed since the last event, bounded by maxDuration
  const job = new Cron('*/10 * * * *', { timezone: 'UTC', paused: true });
  const iso = (ds: Date[]) => ds.map((d) => d.toISOString().slice(11, 16));
  assert.deepEqual(iso(missedRuns(job, new Date('2024-01-01T10:05:00Z'), new Date('2024-01-01T10:42:00Z'))), ['10:10', '10:20', '10:30', '10:40']);
  assert.deepEqual(iso(missedRuns(job, new Date('2024-01-01T10:05:00Z'), new Date('2024-01-01T10:42:00Z'), 15 * 60_000)), ['10:30', '10:40']);
  assert.deepEqual(missedRuns(job, new Date('2024-01-01T10:40:00Z'), new Date('2024-01-01T10:42:00Z')), []);
  job.stop();
});

test('resource: label selectors and field filters; durations; bodies; headers', () => {
  assert.equal(labelSelector([{ key: 'app', operation: '==', value: 'web' }, { key: 'tier', operation: 'in', value: 'a,b' }, { key: 'x', operation: 'exists' }]), 'app==web,tier in (a,b),x');
  assert.equal(labelSelector(undefined), undefined);
  const obj = { metadata: { name: 'my-pod', namespace: 'ns' }, status: { phase: 'Running' } };
  assert.equal(fieldsMatch(obj, [{ key: 'metadata.name', operation: '==', value: 'my-pod' }]), true);
  assert.equal(fieldsMatch(obj, [{ key: 'status.phase', operation: '!=', value: 'Running' }]), false);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('10'), 10_000);
  assert.throws(() => parseDuration('ten seconds'), /invalid duration/);
  assert.deepEqual(bodyOf('{"a":1}', true), { a: 1 });
  assert.equal(bodyOf('hi', false), Buffer.from('hi').toString('base64'));
  assert.throws(() => bodyOf('nope', true), /not JSON/);
  assert.equal(canonicalHeader('x-github-event'), 'X-Github-Event');
  assert.equal(GITLAB_EVENTS['Push Hook'], 'PushEvents');
});

test('filter.expression, stream config, credentials', () => {
  assert.equal(passesFilter('body.message == "x"', { body: { message: 'x' } }), true);
  assert.equal(passesFilter('body.message == "x"', { body: { message: 'y' } }), false);
  assert.equal(passesFilter('body.nope.deeper == 1', { body: {} }), false);
  assert.equal(passesFilter(undefined, {}), true);
  assert.deepEqual(parseStreamConfig('maxMsgs: 1000\nmaxAge: 72h\nreplicas: 3\nduplicates: 300s'), { max_msgs: 1000, max_age: 72 * 3600e9, num_replicas: 3, duplicate_window: 300e9 });
  assert.deepEqual(parseStreamConfig('maxMsgs: 1e+06\nmaxBytes: 1GB\nretention: 0\ndiscard: 1\nmaxAge: forever'), { max_msgs: 1e6, max_bytes: 1024 ** 3, retention: 'limits', discard: 'new' });
  assert.deepEqual(parseStreamConfig('maxBytes: -1\nretention: 2'), { max_bytes: -1, retention: 'workqueue' });
  assert.deepEqual(parseUserPass('username: alice\npassword: "s3cr:et"'), { user: 'alice', pass: 's3cr:et' });
  assert.deepEqual(parseUserPass('bob:pw'), { user: 'bob', pass: 'pw' });
  assert.throws(() => parseUserPass('nothing'), /neither/);
});
