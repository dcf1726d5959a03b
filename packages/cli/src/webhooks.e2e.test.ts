/**
 * Issue 8 §3's proof, as a user runs it: `flotilla up`, the real kubectl, and admission webhooks
 * served by a pod (image node:20 → this machine's Node, the server script from a ConfigMap, its TLS
 * certificate from a Secret) behind a Service, called by the API server with the caBundle.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreatePki, WEBHOOK_SERVER_JS } from '@flotilla/apiserver';
import { kubectl as kubectlIn, startUp, stopUp, type Up } from './testkit.js';

let dir: string;
let up: Up;
let caBundle = '';
const NS = 'webhook-test';

const kubectl = (args: string[], opts: { input?: string; timeoutMs?: number } = {}) => kubectlIn(dir, up.kubeconfig, args, opts);
async function ok(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
async function eventually<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 120_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

const webhook = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
  name,
  admissionReviewVersions: ['v1'],
  sideEffects: 'None',
  timeoutSeconds: 10,
  clientConfig: { service: { namespace: NS, name: 'whsvc', path }, caBundle },
  rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'checked' } },
  ...extra,
});
const config = (kind: string, name: string, webhooks: unknown[]) => JSON.stringify({ apiVersion: 'admissionregistration.k8s.io/v1', kind, metadata: { name }, webhooks });

describe('admission webhooks served by a pod behind a Service (flotilla up, kubectl)', { timeout: 600_000 }, () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-webhooks-e2e-'));
    const pki = await loadOrCreatePki(join(dir, 'webhook-pki'), [`whsvc.${NS}.svc`]);
    caBundle = Buffer.from(pki.caCert).toString('base64');
    writeFileSync(join(dir, 'tls.crt'), pki.serverCert);
    writeFileSync(join(dir, 'tls.key'), pki.serverKey);
    writeFileSync(join(dir, 'server.mjs'), WEBHOOK_SERVER_JS);
    up = await startUp(join(dir, 'data'), 120_000);
    await ok(['create', 'namespace', NS]);
    await ok(['create', 'namespace', 'checked']);
    await ok(['-n', NS, 'create', 'configmap', 'webhook-script', `--from-file=server.mjs=${join(dir, 'server.mjs')}`]);
    await ok(['-n', NS, 'create', 'secret', 'tls', 'webhook-tls', `--cert=${join(dir, 'tls.crt')}`, `--key=${join(dir, 'tls.key')}`]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'webhook', namespace: NS, labels: { app: 'webhook' } },
      spec: {
        containers: [
          {
            name: 'server',
            image: 'node:20',
            command: ['node', '/scripts/server.mjs'],
            env: [{ name: 'PORT', value: '8443' }, { name: 'CERT', value: '/tls/tls.crt' }, { name: 'KEY', value: '/tls/tls.key' }],
            ports: [{ containerPort: 8443, name: 'https' }],
            readinessProbe: { tcpSocket: { port: 8443 }, periodSeconds: 1 },
            volumeMounts: [{ name: 'scripts', mountPath: '/scripts' }, { name: 'tls', mountPath: '/tls' }],
          },
        ],
        volumes: [{ name: 'scripts', configMap: { name: 'webhook-script' } }, { name: 'tls', secret: { secretName: 'webhook-tls' } }],
      },
    };
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'whsvc', namespace: NS }, spec: { selector: { app: 'webhook' }, ports: [{ name: 'https', port: 443, targetPort: 'https' }] } };
    await ok(['apply', '-f', '-'], { input: `${JSON.stringify(pod)}\n${JSON.stringify(svc)}` });
    await eventually('the webhook Service to have a ready endpoint', async () => {
      const r = await kubectl(['-n', NS, 'get', 'endpoints', 'whsvc', '-o', 'json']);
      return r.code === 0 && (JSON.parse(r.stdout).subsets ?? []).some((s: any) => (s.addresses ?? []).length > 0);
    });
  });
  after(async () => {
    if (up) await stopUp(up, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a validating webhook denies a ConfigMap with a bad key: kubectl shows its message, nothing is stored', async () => {
    await ok(['apply', '-f', '-'], { input: config('ValidatingWebhookConfiguration', 'deny', [webhook('deny.example.com', '/deny')]) });
    const r = await kubectl(['-n', 'checked', 'create', 'configmap', 'c1', '--from-literal=bad-key=1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "deny\.example\.com" denied the request: data key "bad-key" is not allowed/);
    assert.match((await kubectl(['-n', 'checked', 'get', 'configmap', 'c1'])).stderr, /not found/);
    const good = await kubectl(['-n', 'checked', 'create', 'configmap', 'c1', '--from-literal=good=1']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /Warning: checked by the deny webhook/);
    // outside the selected namespace it is not called
    await ok(['create', 'configmap', 'c-default', '--from-literal=bad=1']);
  });

  it('a mutating webhook adds a label', async () => {
    await ok(['apply', '-f', '-'], { input: config('MutatingWebhookConfiguration', 'label', [webhook('label.example.com', '/label', { reinvocationPolicy: 'IfNeeded' })]) });
    await ok(['-n', 'checked', 'create', 'configmap', 'c2', '--from-literal=a=1']);
    const o = JSON.parse(await ok(['-n', 'checked', 'get', 'configmap', 'c2', '-o', 'json']));
    assert.equal(o.metadata.labels['webhook-added'], 'yes');
  });

  it('a CONNECT webhook for pods/exec refuses kubectl exec with its message', async () => {
    const before = await kubectl(['-n', NS, 'exec', 'webhook', '--', 'node', '-e', 'console.log("exec works")']);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /exec works/);
    await ok(['apply', '-f', '-'], {
      input: config('ValidatingWebhookConfiguration', 'noexec', [
        webhook('noexec.example.com', '/deny-connect', { namespaceSelector: {}, rules: [{ operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec'] }] }),
      ]),
    });
    const r = await kubectl(['-n', NS, 'exec', 'webhook', '--', 'node', '-e', '1']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "noexec\.example\.com" denied the request: exec into webhook \(PodExecOptions \["node","-e","1"\]\) is not allowed/);
    await ok(['delete', 'validatingwebhookconfiguration', 'noexec']);
  });

  it('with the webhook down: failurePolicy Fail refuses naming the webhook, Ignore allows', async () => {
    await ok(['-n', NS, 'delete', 'pod', 'webhook', '--grace-period=0', '--force', '--wait=true']);
    await eventually('the endpoints to empty', async () => {
      const r = await kubectl(['-n', NS, 'get', 'endpoints', 'whsvc', '-o', 'json']);
      return r.code === 0 && !(JSON.parse(r.stdout).subsets ?? []).some((s: any) => (s.addresses ?? []).length > 0);
    });
    // a kept-alive connection to the old pod may serve a last request while its process stops
    let n = 0;
    const r = await eventually('a request to fail', async () => {
      const x = await kubectl(['-n', 'checked', 'create', 'configmap', `c3-${n++}`]);
      return x.code !== 0 && x;
    });
    assert.match(r.stderr, /Internal error occurred: failed calling webhook "label\.example\.com": Post "https:\/\/whsvc\.webhook-test\.svc:443\/label\?timeout=10s": no endpoints available for service "whsvc"/);
    assert.match((await kubectl(['-n', 'checked', 'get', 'configmap', `c3-${n - 1}`])).stderr, /not found/);
    await ok(['apply', '-f', '-'], { input: config('MutatingWebhookConfiguration', 'label', [webhook('label.example.com', '/label', { failurePolicy: 'Ignore' })]) });
    await ok(['apply', '-f', '-'], { input: config('ValidatingWebhookConfiguration', 'deny', [webhook('deny.example.com', '/deny', { failurePolicy: 'Ignore' })]) });
    await ok(['-n', 'checked', 'create', 'configmap', 'c3', '--from-literal=bad=1']);
    assert.match(up.output(), /webhook "deny\.example\.com" \(failurePolicy Ignore\) failed and was skipped/);
  });
});
