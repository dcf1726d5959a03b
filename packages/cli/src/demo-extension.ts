/**
 * The demo's Argo CD proxy extension `argo-workflows`: the Pipeline page served by argocd-server
 * reads argo-server's EventSources, Sensors and Workflows through `/extensions/argo-workflows/…`
 * (argocd-server's proxy extensions, as Argo CD documents them), so it needs neither argo-server's
 * address nor its `--access-control-allow-origin`. What `flotilla demo pipeline` does, the way a user
 * would with kubectl:
 * - issues a token of the ServiceAccount `pipeline-viewer` (examples/pipeline/60-pipeline-viewer.yaml:
 *   get/list/watch of those three kinds in the demo namespace) by TokenRequest and stores
 *   `Bearer <token>` in argocd-secret under `extension.argo-workflows.authorization`;
 * - sets `extension.config.argo-workflows` in argocd-cm: argo-server's in-cluster Service, with that
 *   header (argo-server's default `--auth-mode client` acts with the caller's Kubernetes token);
 * - enables proxy extensions (`server.enable.proxy.extension: "true"` in argocd-cmd-params-cm) when they
 *   are not, marking the ConfigMap so `--delete` knows it did, and restarts argocd-server (argocd-server
 *   reads its parameters at start): `kubectl -n argocd rollout restart deployment argocd-server`.
 * `--delete` removes the two keys and, when the demo enabled the feature, the parameter (and restarts).
 */
import { KubeClient, isNotFound, R } from '@flotilla/kube-runtime';
import { APP_NS, DEMO_NS } from './demo-logic.js';

export const EXT_NAME = 'argo-workflows';
export const VIEWER_SA = 'pipeline-viewer';
export const ARGO_SERVER_URL = 'https://argo-server.argo.svc.cluster.local:2746';
export const SECRET_KEY = `extension.${EXT_NAME}.authorization`;
export const CM_KEY = `extension.config.${EXT_NAME}`;
export const ENABLE_KEY = 'server.enable.proxy.extension';
/** on argocd-cmd-params-cm when the demo turned proxy extensions on (so --delete turns them off) */
export const ENABLED_BY_DEMO = 'flotilla.dev/proxy-extension-enabled-by-demo';
const TOKEN_SECONDS = 365 * 24 * 3600;

/** The extension's backend, as `extension.config.argo-workflows` holds it. */
export function extensionConfig(url = ARGO_SERVER_URL): string {
  return [
    '# flotilla demo pipeline: the Pipeline page reads argo-server through /extensions/argo-workflows/',
    'connectionTimeout: 2s',
    'services:',
    `- url: ${url}`,
    '  # argo-server serves a self-signed certificate by default (Flotilla-only field; see docs/argocd.md)',
    '  insecureSkipVerify: true',
    '  headers:',
    '  - name: Authorization',
    `    value: $${SECRET_KEY}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const b64 = (s: string) => Buffer.from(s).toString('base64');
const mergePatch = (client: KubeClient, path: string, body: unknown) => client.request('PATCH', path, { body, contentType: 'application/merge-patch+json' }) as Promise<any>;
const cmPath = (name: string) => `/api/v1/namespaces/${APP_NS}/configmaps/${name}`;
const DEPLOY = `/apis/apps/v1/namespaces/${APP_NS}/deployments/argocd-server`;

/** Whether `Bearer <token>` still reads the demo's Workflows (a namespace deleted and made again invalidates it). */
async function tokenWorks(client: KubeClient, header: string): Promise<boolean> {
  const token = header.replace(/^Bearer\s+/i, '');
  if (!token) return false;
  const c = new KubeClient({ url: client.server.toString().replace(/\/$/, ''), caPem: client.caPem, token, insecureSkipTlsVerify: client.config.insecure } as any, { fieldManager: 'flotilla-demo' });
  try {
    await c.request('GET', `/apis/argoproj.io/v1alpha1/namespaces/${DEMO_NS}/workflows?limit=1`);
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}

/** `kubectl rollout restart`: a new pod template annotation; returns the generation to wait for. */
async function restartArgocdServer(client: KubeClient): Promise<number> {
  const d = await mergePatch(client, DEPLOY, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } });
  return Number(d.metadata?.generation ?? 0);
}

/** Waits until the Deployment rolled out `generation`: updated, available, no old pod left. */
export async function waitArgocdServer(client: KubeClient, generation: number, deadline: number): Promise<void> {
  for (;;) {
    const d: any = await client.request('GET', DEPLOY);
    const want = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    if ((st.observedGeneration ?? 0) >= generation && (st.updatedReplicas ?? 0) >= want && (st.availableReplicas ?? 0) >= want && (st.replicas ?? 0) === want) return;
    if (Date.now() > deadline) throw new Error(`argocd-server did not roll out after its restart: ${JSON.stringify(st)}`);
    await sleep(500);
  }
}

/**
 * Configures the extension (token, argocd-secret, argocd-cm) and turns proxy extensions on.
 * Returns the argocd-server generation to wait for when it had to be restarted.
 */
export async function configureExtension(client: KubeClient, log: (l: string) => void): Promise<number | undefined> {
  const secret: any = await client.get(R.secrets, APP_NS, 'argocd-secret');
  const cur = secret.data?.[SECRET_KEY] ? Buffer.from(secret.data[SECRET_KEY], 'base64').toString('utf8') : '';
  if (!(await tokenWorks(client, cur))) {
    const tr: any = await client.createSub(R.serviceaccounts, DEMO_NS, VIEWER_SA, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_SECONDS } });
    const token = tr?.status?.token;
    if (!token) throw new Error(`TokenRequest for ServiceAccount ${DEMO_NS}/${VIEWER_SA} gave no token`);
    await mergePatch(client, `/api/v1/namespaces/${APP_NS}/secrets/argocd-secret`, { data: { [SECRET_KEY]: b64(`Bearer ${token}`) } });
    log(`  argocd-secret ${SECRET_KEY}: a token of ServiceAccount ${DEMO_NS}/${VIEWER_SA}\n`);
  }
  const cm: any = await client.request('GET', cmPath('argocd-cm'));
  if (cm.data?.[CM_KEY] !== extensionConfig()) {
    await mergePatch(client, cmPath('argocd-cm'), { data: { [CM_KEY]: extensionConfig() } });
    log(`  argocd-cm ${CM_KEY}: argo-server's Service ${ARGO_SERVER_URL}\n`);
  }
  let params: any;
  try {
    params = await client.request('GET', cmPath('argocd-cmd-params-cm'));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (String(params?.data?.[ENABLE_KEY] ?? '').toLowerCase() === 'true') return undefined;
  const body = { metadata: { annotations: { [ENABLED_BY_DEMO]: 'true' } }, data: { [ENABLE_KEY]: 'true' } };
  if (params) await mergePatch(client, cmPath('argocd-cmd-params-cm'), body);
  else await client.create(R.configmaps, APP_NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'argocd-cmd-params-cm', namespace: APP_NS, ...body.metadata }, data: body.data } as any);
  log(`  argocd-cmd-params-cm ${ENABLE_KEY}: "true"; restarting argocd-server (kubectl -n ${APP_NS} rollout restart deployment argocd-server)\n`);
  return restartArgocdServer(client);
}

/** Removes what configureExtension added; returns the generation to wait for when argocd-server was restarted. */
export async function removeExtension(client: KubeClient, log: (l: string) => void): Promise<number | undefined> {
  const drop = async (path: string, key: string, what: string) => {
    try {
      const o: any = await client.request('GET', path);
      if (o.data?.[key] === undefined) return;
      await mergePatch(client, path, { data: { [key]: null } });
      log(`  removed ${what} ${key}\n`);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  };
  await drop(cmPath('argocd-cm'), CM_KEY, 'argocd-cm');
  await drop(`/api/v1/namespaces/${APP_NS}/secrets/argocd-secret`, SECRET_KEY, 'argocd-secret');
  let params: any;
  try {
    params = await client.request('GET', cmPath('argocd-cmd-params-cm'));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (params?.metadata?.annotations?.[ENABLED_BY_DEMO] !== 'true') return undefined;
  await mergePatch(client, cmPath('argocd-cmd-params-cm'), { metadata: { annotations: { [ENABLED_BY_DEMO]: null } }, data: { [ENABLE_KEY]: null } });
  log(`  removed argocd-cmd-params-cm ${ENABLE_KEY} (the demo had set it); restarting argocd-server\n`);
  return restartArgocdServer(client);
}
