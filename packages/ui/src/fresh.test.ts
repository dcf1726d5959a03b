/** Which copy of an object a page keeps when a GET, the stream and an action's answer arrive out of order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fresher, isFresher } from './lib/fresh.js';

const wf = (uid: string, rv: string, phase: string) => ({ metadata: { uid, resourceVersion: rv }, status: { phase } });

test('an older copy of the same object does not replace a newer one', () => {
  const failed = wf('u1', '1042', 'Failed');
  const stopAnswer = wf('u1', '1041', 'Running');
  assert.equal(fresher(failed, stopAnswer), failed, "STOP's answer arriving after the stream's Failed");
  assert.equal(isFresher(failed, stopAnswer), false);
  assert.equal(fresher(stopAnswer, failed), failed);
  assert.equal(isFresher(failed, wf('u1', '1042', 'Failed')), true, 'the same version again is taken');
});

test('resourceVersions compare as numbers, not strings', () => {
  assert.equal(isFresher(wf('u', '999', 'a'), wf('u', '1000', 'b')), true);
  assert.equal(isFresher(wf('u', '1000', 'a'), wf('u', '999', 'b')), false);
  assert.equal(isFresher(wf('u', '99999999999999999999', 'a'), wf('u', '100000000000000000000', 'b')), true, 'beyond 2^53');
  assert.equal(isFresher(wf('u', '0010', 'a'), wf('u', '9', 'b')), false, 'leading zeros');
});

test('another object, no current copy, or opaque versions: the arrival wins', () => {
  assert.equal(isFresher(wf('u1', '5', 'a'), wf('u2', '4', 'b')), true, 'recreated under the same name (new uid)');
  assert.equal(isFresher(undefined, wf('u', '4', 'b')), true);
  assert.equal(isFresher(wf('u', 'abc', 'a'), wf('u', 'abd', 'b')), true);
  assert.equal(isFresher(wf('u', '5', 'a'), undefined), false);
  assert.equal(isFresher({}, wf('u', '1', 'b')), true);
});
