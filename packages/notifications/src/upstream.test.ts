// Upstream's Rollouts notifications example (../shared/upstream/argo-rollouts/examples/notifications,
// read at test time; skipped with the reason when absent): its ConfigMap's custom trigger and
// template, its Rollout's subscriptions, delivered to a Slack stand-in (chat.postMessage).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from './config.js';
import { processObject } from './engine.js';
import { serviceSender } from './services/index.js';

const DIR = fileURLToPath(new URL('../../../../shared/upstream/argo-rollouts/examples/notifications', import.meta.url));
const absent = existsSync(join(DIR, 'configmap.yaml')) ? undefined : `${DIR} is not present (upstream fixtures absent)`;
if (absent) console.log(`# skipped: ${absent}`);

const posts: Array<{ auth?: string; body: Record<string, unknown> }> = [];
const http = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    posts.push({ auth: req.headers.authorization, body: JSON.parse(body) as Record<string, unknown> });
    res.end('{"ok":true}');
  });
});
after(() => http.close());

test("upstream's Rollouts example: on-purple reaches Slack with the template's attachments", { skip: absent }, async () => {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const docs = (file: string) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => d.toJS() as Record<string, any>);
  const cm = docs('configmap.yaml')[0]!;
  const rollout = docs('rollout-canary.yaml').find((o) => o.kind === 'Rollout')!;
  // the stand-in's address instead of slack.com (the only change to the example)
  const data = { ...cm.data, 'service.slack': `${cm.data['service.slack']}apiURL: http://127.0.0.1:${(http.address() as AddressInfo).port}/api/\n` };
  const cfg = parseConfig(data, { 'slack-token': 'xoxb-example' });
  const run = (ro: Record<string, any>) => processObject({ cfg, obj: ro, vars: { rollout: ro }, state: {}, send: serviceSender(cfg) });

  const blue = await run(rollout);
  assert.equal(posts.length, 0, 'blue image: on-purple is false');
  // the other subscriptions name the built-in catalog's triggers, which this ConfigMap does not define
  assert.ok(blue.errors.some((e) => /trigger "on-rollout-completed" is not defined/.test(e)));

  const purple = structuredClone(rollout);
  purple.spec.template.spec.containers[0].image = 'argoproj/rollouts-demo:purple';
  const r = await run(purple);
  assert.deepEqual(r.sent.map((d) => `${d.trigger}>${d.destination.service}:${d.destination.recipient}`), ['on-purple>slack:argoproj-deployments-notifications']);
  assert.equal(posts.length, 1);
  assert.equal(posts[0]!.auth, 'Bearer xoxb-example');
  assert.equal(posts[0]!.body.channel, 'argoproj-deployments-notifications');
  assert.equal(posts[0]!.body.text, 'Rollout rollout-canary has purple image\n');
  assert.deepEqual(posts[0]!.body.attachments, [{ title: 'rollout-canary', color: '#800080' }]);
});
