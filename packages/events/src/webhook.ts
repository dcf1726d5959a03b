/**
 * `argo-events webhook-service`: the validating admission webhook of upstream's
 * install-validating-webhook.yaml (Deployment/Service `events-webhook`, env NAMESPACE and PORT).
 * On start it keeps its certificates in the Secret `events-webhook-certs` (generated when missing,
 * expiring or not naming the Service), registers the ValidatingWebhookConfiguration
 * `validation.webhook.argo-events.argoproj.io` with the CA as caBundle (owned by the ClusterRole
 * `argo-events-webhook`, so it goes away with the install), and answers AdmissionReviews for
 * EventBus, EventSource and Sensor on CREATE and UPDATE with the rules of validate.ts.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { KubeClient, isNotFound, R, type Resource } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { certsUsable, generateCerts, type WebhookCerts } from './certs.js';
import { validateEventBus, validateEventBusUpdate, validateEventSource, validateSensor } from './validate.js';
import { enableControllerMetrics, controllerMetrics } from './metrics.js';
import { log } from './manager.js';
import type { AnyObj } from './util.js';

export const SERVICE = 'events-webhook';
export const CERT_SECRET = 'events-webhook-certs';
export const CONFIG_NAME = 'validation.webhook.argo-events.argoproj.io';
export const WEBHOOK_NAME = 'webhook.argo-events.argoproj.io';
export const OWNER_CLUSTER_ROLE = 'argo-events-webhook';
export const PATH = '/validate';

const VWC: Resource = { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingwebhookconfigurations', kind: 'ValidatingWebhookConfiguration', namespaced: false };
const CLUSTER_ROLES: Resource = { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'clusterroles', kind: 'ClusterRole', namespaced: false };

/** The answer to one AdmissionRequest (pure). */
export function review(req: AnyObj): { allowed: boolean; message?: string } {
  const kind = req?.kind?.kind ?? req?.object?.kind;
  const op = req?.operation;
  if (op !== 'CREATE' && op !== 'UPDATE') return { allowed: true };
  const obj = req.object ?? {};
  let err: string | undefined;
  if (kind === 'EventBus') err = op === 'UPDATE' && req.oldObject ? validateEventBusUpdate(req.oldObject, obj) : validateEventBus(obj);
  else if (kind === 'EventSource') err = validateEventSource(obj);
  else if (kind === 'Sensor') err = validateSensor(obj);
  else return { allowed: true };
  // an update that touches only status/metadata of an object that was already invalid is let through
  if (err && op === 'UPDATE' && req.oldObject && JSON.stringify(req.oldObject.spec) === JSON.stringify(obj.spec)) return { allowed: true };
  return err ? { allowed: false, message: err } : { allowed: true };
}

/** The webhook configuration to register. */
export function webhookConfiguration(namespace: string, port: number, caCert: string, owner?: AnyObj): AnyObj {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: {
      name: CONFIG_NAME,
      ...(owner ? { ownerReferences: [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: owner.metadata.name, uid: owner.metadata.uid }] } : {}),
    },
    webhooks: [
      {
        name: WEBHOOK_NAME,
        clientConfig: { service: { namespace, name: SERVICE, path: PATH, port }, caBundle: Buffer.from(caCert).toString('base64') },
        rules: [{ apiGroups: ['argoproj.io'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['eventbus', 'eventsources', 'sensors'], scope: 'Namespaced' }],
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1', 'v1beta1'],
        timeoutSeconds: 10,
      },
    ],
  };
}

const dec = (v?: string) => (v ? Buffer.from(v, 'base64').toString('utf8') : undefined);
const enc = (v: string) => Buffer.from(v, 'utf8').toString('base64');

/** The certificates of the Secret, or new ones written into it. */
export async function ensureCerts(client: KubeClient, namespace: string): Promise<WebhookCerts> {
  let cur: AnyObj | undefined;
  try {
    cur = (await client.get(R.secrets, namespace, CERT_SECRET)) as AnyObj;
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  const have = { caCert: dec(cur?.data?.['ca-cert.pem']), serverCert: dec(cur?.data?.['server-cert.pem']), serverKey: dec(cur?.data?.['server-key.pem']) };
  if (certsUsable(have, SERVICE, namespace)) return have as WebhookCerts;
  const c = await generateCerts(SERVICE, namespace);
  const data = { 'ca-cert.pem': enc(c.caCert), 'server-cert.pem': enc(c.serverCert), 'server-key.pem': enc(c.serverKey) };
  if (cur) await client.update(R.secrets, { ...cur, data } as KubeObject);
  else await client.create(R.secrets, namespace, { metadata: { name: CERT_SECRET, namespace }, type: 'Opaque', data } as KubeObject);
  log(`generated the webhook's certificates into secret ${namespace}/${CERT_SECRET}`);
  return c;
}

/** Creates or updates the ValidatingWebhookConfiguration (caBundle = our CA). */
export async function register(client: KubeClient, namespace: string, port: number, caCert: string): Promise<void> {
  let owner: AnyObj | undefined;
  try {
    owner = (await client.get(CLUSTER_ROLES, undefined, OWNER_CLUSTER_ROLE)) as AnyObj;
  } catch {
    owner = undefined; // not installed by upstream's manifest: no owner
  }
  await client.apply(VWC, webhookConfiguration(namespace, port, caCert, owner) as KubeObject, { force: true });
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
    res.writeHead(200).end('ok\n');
    return;
  }
  if (req.method !== 'POST' || !req.url?.startsWith(PATH)) {
    res.writeHead(404).end('not found\n');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body: AnyObj;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('the body is not an AdmissionReview (JSON)\n');
      return;
    }
    const r = body.request ?? {};
    const ans = review(r);
    const kind = r.kind?.kind ?? 'unknown';
    controllerMetrics().admission.inc({ kind, allowed: String(ans.allowed) });
    if (!ans.allowed) log(`refused ${r.operation} ${kind} ${r.namespace ?? ''}/${r.name ?? r.object?.metadata?.name ?? ''}: ${ans.message}`);
    const response: AnyObj = { uid: r.uid, allowed: ans.allowed };
    if (!ans.allowed) response.status = { code: 400, reason: 'BadRequest', message: ans.message };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ apiVersion: body.apiVersion ?? 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
  });
}

export interface RunningWebhook {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** Serves the webhook over TLS on `port` (0: any) with the given certificates. */
export function serveWebhook(certs: WebhookCerts, port: number, host = '0.0.0.0'): Promise<RunningWebhook> {
  const server = createServer({ cert: certs.serverCert, key: certs.serverKey }, handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({ server, port: typeof addr === 'object' && addr ? addr.port : port, close: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}

export async function runWebhook(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let kubeconfig: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--kubeconfig') kubeconfig = argv[++i];
    else if (argv[i].startsWith('--kubeconfig=')) kubeconfig = argv[i].slice(13);
    else {
      process.stderr.write(`argo-events webhook-service: unknown argument ${argv[i]}\n`);
      return 2;
    }
  }
  const namespace = env.NAMESPACE || 'argo-events';
  const port = Number(env.PORT || 443);
  enableControllerMetrics();
  const client = new KubeClient(kubeconfig, { fieldManager: 'argo-events-webhook', userAgent: 'argo-events-webhook' });
  let running: RunningWebhook;
  try {
    const certs = await ensureCerts(client, namespace);
    running = await serveWebhook(certs, port);
    await register(client, namespace, 443, certs.caCert); // the Service `events-webhook` listens on 443
  } catch (e) {
    log(`webhook-service failed to start: ${(e as Error).message}`, 'error');
    client.close();
    return 1;
  }
  log(`webhook-service listening on :${running.port}; registered ${CONFIG_NAME} (service ${namespace}/${SERVICE})`);
  return new Promise<number>((resolve) => {
    const stop = (sig: string) => {
      log(`${sig}: shutting down`);
      running.close().then(() => {
        client.close();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
