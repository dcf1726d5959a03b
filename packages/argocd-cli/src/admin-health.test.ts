/**
 * `argocd admin settings resource-overrides health` on fixtures written here: built-in kinds in
 * each status Argo CD assigns them, and Lua health scripts from an argocd-cm (including one that
 * errors). Runs the command's main() in-process with its output captured.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { main } from './cli.js';
import { io } from './cmd/io.js';

let dir: string;

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { out: io.out, err: io.err, tty: io.stderrIsTTY };
  let out = '';
  let err = '';
  io.out = (s) => void (out += s);
  io.err = (s) => void (err += s);
  io.stderrIsTTY = () => false;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    Object.assign(io, { out: saved.out, err: saved.err, stderrIsTTY: saved.tty });
  }
}

const CM = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'argocd-cm' },
  data: {
    'resource.customizations.health.example.com_Widget': 'hs = {}\nif obj.status == nil then\n  hs.status = "Progressing"\n  hs.message = "no status yet"\nelseif obj.status.phase == "Ready" then\n  hs.status = "Healthy"\n  hs.message = "ready"\nelse\n  hs.status = "Degraded"\n  hs.message = "phase " .. obj.status.phase\nend\nreturn hs\n',
    'resource.customizations.health.example.com_Broken': 'error("boom")\n',
    // an override of a built-in kind replaces the built-in check
    'resource.customizations.health.apps_DaemonSet': 'return {status = "Suspended", message = "overridden"}\n',
  },
};

const deploy = (spec: object, status: object, generation = 1) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'n', generation }, spec: { replicas: 2, ...spec }, status });
const pod = (status: object) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { containers: [{ name: 'c', image: 'i' }] }, status });

/** [name, object, expected STATUS, expected MESSAGE (regex) or undefined] */
const CASES: [string, object, string, RegExp?][] = [
  ['Deployment available', deploy({}, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2 }), 'Healthy'],
  ['Deployment rolling out', deploy({}, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, availableReplicas: 1 }), 'Progressing', /Waiting for rollout to finish/],
  ['Deployment not observed yet', deploy({}, { observedGeneration: 1 }, 2), 'Progressing', /generation/],
  ['Deployment past its progress deadline', deploy({}, { observedGeneration: 1, replicas: 2, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }), 'Degraded', /exceeded its progress deadline/],
  ['Deployment paused', deploy({ paused: true }, { observedGeneration: 1 }), 'Suspended'],
  ['Pod running and ready', pod({ phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'c', ready: true, state: { running: {} } }] }), 'Healthy'],
  ['Pod pending', pod({ phase: 'Pending' }), 'Progressing'],
  ['Pod succeeded', pod({ phase: 'Succeeded' }), 'Healthy'],
  ['Pod failed', pod({ phase: 'Failed', message: 'oom' }), 'Degraded'],
  ['Pod crash-looping', pod({ phase: 'Running', containerStatuses: [{ name: 'c', ready: false, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } } }] }), 'Degraded'],
  ['PVC bound', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, status: { phase: 'Bound' } }, 'Healthy'],
  ['PVC pending', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, status: { phase: 'Pending' } }, 'Progressing'],
  ['PVC lost', { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, status: { phase: 'Lost' } }, 'Degraded'],
  ['Service ClusterIP', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'ClusterIP' } }, 'Healthy'],
  ['Service LoadBalancer without an address', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: {} } }, 'Progressing'],
  ['Service LoadBalancer with an address', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '10.0.0.1' }] } } }, 'Healthy'],
  ['Job complete', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] } }, 'Healthy'],
  ['Job failed', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { failed: 1, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }] } }, 'Degraded', /backoff limit/],
  ['Job running', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { active: 1 } }, 'Progressing'],
  ['Lua: Widget ready', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { phase: 'Ready' } }, 'Healthy', /^ready$/],
  ['Lua: Widget failed', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, status: { phase: 'Broken' } }, 'Degraded', /^phase Broken$/],
  ['Lua: Widget without status', { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }, 'Progressing', /^no status yet$/],
  ['Lua: a script that errors is Unknown', { apiVersion: 'example.com/v1', kind: 'Broken', metadata: { name: 'b' } }, 'Unknown', /boom/],
  ['Lua: an override replaces the built-in check', { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'ds' }, status: {} }, 'Suspended', /^overridden$/],
];

describe('argocd admin settings resource-overrides health (fixtures)', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'argocd-health-'));
    writeFileSync(join(dir, 'argocd-cm.yaml'), YAML.stringify(CM));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, obj, status, message] of CASES) {
    it(`${name}: STATUS: ${status}`, async () => {
      const f = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(f, YAML.stringify(obj));
      const r = await run(['admin', 'settings', 'resource-overrides', 'health', f, '--argocd-cm-path', join(dir, 'argocd-cm.yaml')]);
      assert.equal(r.code, 0, r.err);
      const m = /^STATUS: (.*)\nMESSAGE: (.*)\n$/.exec(r.out);
      assert.ok(m, `two lines STATUS/MESSAGE: ${JSON.stringify(r.out)}`);
      assert.equal(m[1], status, r.out);
      if (message) assert.match(m[2], message);
    });
  }

  it('a kind without health: "Health script is not configured"', async () => {
    const f = join(dir, 'cm.yaml');
    writeFileSync(f, YAML.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    const r = await run(['admin', 'settings', 'resource-overrides', 'health', f, '--argocd-cm-path', join(dir, 'argocd-cm.yaml')]);
    assert.equal(r.out, "Health script is not configured for '/ConfigMap'\n");
  });

  it('bad input: no --argocd-cm-path, not a Kubernetes object, not YAML', async () => {
    const f = join(dir, 'cm.yaml');
    let r = await run(['admin', 'settings', 'resource-overrides', 'health', f]);
    assert.equal(r.code, 20);
    assert.match(r.err, /either --argocd-cm-path must be provided or --load-cluster-settings must be set to true/);
    writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
    r = await run(['admin', 'settings', 'resource-overrides', 'health', join(dir, 'list.yaml'), '--argocd-cm-path', join(dir, 'argocd-cm.yaml')]);
    assert.equal(r.code, 20);
    assert.match(r.err, /is not a Kubernetes object \(it needs apiVersion and kind\)/);
    writeFileSync(join(dir, 'bad.yaml'), 'a: [\n');
    r = await run(['admin', 'settings', 'resource-overrides', 'health', join(dir, 'bad.yaml'), '--argocd-cm-path', join(dir, 'argocd-cm.yaml')]);
    assert.equal(r.code, 20);
    assert.match(r.err, /resource file .*bad\.yaml is not valid YAML/);
  });
});
