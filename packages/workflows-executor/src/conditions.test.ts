import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConditionError, evaluateConditions, matches, parseCondition, parsePath } from './conditions.js';

const job = { status: { succeeded: 3, failed: 0, phase: 'Running', conditions: [{ type: 'Complete' }] }, metadata: { labels: { 'app.kubernetes.io/name': 'x' } } };

describe('resource conditions', () => {
  const table: [string, boolean][] = [
    ['status.succeeded > 2', true],
    ['status.succeeded > 3', false],
    ['status.failed < 1', true],
    ['status.phase == Running', true],
    ['status.phase = Running', true],
    ['status.phase != Running', false],
    ['status.phase in (Failed, Error)', false],
    ['status.phase in (Running,Succeeded)', true],
    ['status.phase notin (Failed, Error)', true],
    ['status.conditions.0.type == Complete', true],
    ['status.conditions[0].type == Complete', true],
    ['status.missing', false],
    ['!status.missing', true],
    ['status.phase', true],
    ['metadata.labels.app\\.kubernetes\\.io/name == x', true],
    ['status.succeeded > 2,status.phase == Running', true],
    ['status.succeeded > 2, status.phase == Succeeded', false],
    ['status.missing > 0', false],
    ['status.missing != 3', true],
  ];
  for (const [cond, want] of table) it(`${cond} → ${want}`, () => assert.equal(matches(parseCondition(cond), job), want));

  it('failure wins over success; no success condition means done', () => {
    assert.equal(evaluateConditions(job, 'status.succeeded > 0', 'status.phase == Running'), 'failed');
    assert.equal(evaluateConditions(job, 'status.succeeded > 5', 'status.failed > 0'), 'pending');
    assert.equal(evaluateConditions(job, 'status.succeeded > 2', undefined), 'succeeded');
    assert.equal(evaluateConditions(job, undefined, undefined), 'succeeded');
  });
  it('rejects what it cannot parse, naming it', () => {
    assert.throws(() => parseCondition('status.x >'), ConditionError);
    assert.throws(() => parseCondition('status.x > abc'), /needs a number/);
    assert.throws(() => parseCondition(''), /empty condition/);
    assert.throws(() => parseCondition('a b c'), /cannot parse requirement "a b c"/);
    assert.throws(() => parsePath('a[0'), /unclosed/);
  });
});
