/**
 * `ingress-nginx-controller` (image registry.k8s.io/ingress-nginx/controller): the Ingress
 * controller of IngressClass `nginx`. Informers on Ingresses, IngressClasses, Services, Endpoints
 * and Secrets; any change re-renders nginx's configuration (model.ts → render.ts) and reloads nginx
 * when it differs; each served Ingress gets `status.loadBalancer.ingress` = the published Service's
 * load-balancer address (--publish-service), or --publish-status-address, or the pod's IP.
 * Upstream's flags are accepted; the ones that do not apply here are ignored with a notice.
 */
import { networkInterfaces, tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { EventRecorder, InformerFactory, KubeClient, R, newController, objKey, serveHealth, splitKey, type Resource, type RuntimeContext } from '@flotilla/kube-runtime';
import { buildModel, isOurs, type Obj } from './model.js';
import { certFiles, renderConfig } from './render.js';
import { Nginx, NGINX_BINARY, STREAM_MODULE } from './nginx.js';

export const INGRESSES: Resource = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true };
export const INGRESS_CLASSES: Resource = { group: 'networking.k8s.io', version: 'v1', plural: 'ingressclasses', kind: 'IngressClass', namespaced: false };
export const IS_DEFAULT_CLASS = 'ingressclass.kubernetes.io/is-default-class';

export interface Flags {
  ingressClass: string;
  controllerClass: string;
  watchIngressWithoutClass: boolean;
  publishService?: string;
  publishStatusAddress?: string;
  updateStatus: boolean;
  enableSslPassthrough: boolean;
  httpPort: number;
  httpsPort: number;
  healthzPort: number;
  statusPort: number;
  defaultSslCertificate?: string;
  watchNamespace?: string;
  annotationsPrefix: string;
  dir: string;
  kubeconfig?: string;
}

const BOOL = new Set(['watch-ingress-without-class', 'update-status', 'enable-ssl-passthrough', 'ingress-class-by-name', 'enable-metrics', 'v']);

export function parseFlags(argv: string[], warn: (m: string) => void = () => {}): Flags {
  const f: Flags = {
    ingressClass: 'nginx',
    controllerClass: 'k8s.io/ingress-nginx',
    watchIngressWithoutClass: false,
    updateStatus: true,
    enableSslPassthrough: false,
    httpPort: 80,
    httpsPort: 443,
    healthzPort: 10254,
    statusPort: 10246,
    annotationsPrefix: 'nginx.ingress.kubernetes.io',
    dir: join(process.env.TMPDIR || tmpdir(), 'ingress-nginx'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else if (BOOL.has(name)) value = argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] : 'true';
    else value = argv[++i] ?? '';
    const bool = value !== 'false';
    switch (name) {
      case 'ingress-class':
        f.ingressClass = value;
        break;
      case 'controller-class':
        f.controllerClass = value;
        break;
      case 'watch-ingress-without-class':
        f.watchIngressWithoutClass = bool;
        break;
      case 'publish-service':
        f.publishService = value;
        break;
      case 'publish-status-address':
        f.publishStatusAddress = value;
        break;
      case 'update-status':
        f.updateStatus = bool;
        break;
      case 'enable-ssl-passthrough':
        f.enableSslPassthrough = bool;
        break;
      case 'http-port':
        f.httpPort = Number(value);
        break;
      case 'https-port':
        f.httpsPort = Number(value);
        break;
      case 'healthz-port':
        f.healthzPort = Number(value);
        break;
      case 'status-port':
        f.statusPort = Number(value);
        break;
      case 'default-ssl-certificate':
        f.defaultSslCertificate = value;
        break;
      case 'watch-namespace':
        f.watchNamespace = value || undefined;
        break;
      case 'annotations-prefix':
        f.annotationsPrefix = value;
        break;
      case 'nginx-dir':
        f.dir = value;
        break;
      case 'kubeconfig':
        f.kubeconfig = value;
        break;
      default:
        warn(`flag --${name} is not used by this controller; ignored`);
    }
  }
  return f;
}

/** The pod's own address (POD_IP, else the first non-loopback IPv4). */
function podIP(): string | undefined {
  if (process.env.POD_IP) return process.env.POD_IP;
  for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

/** A self-signed default certificate (ingress-nginx's "Fake Certificate"), when openssl exists. */
function makeDefaultCert(dir: string, log: (m: string) => void): string | undefined {
  const file = join(dir, 'default-fake-certificate.pem');
  if (existsSync(file)) return file;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', '/O=Acme Co/CN=Kubernetes Ingress Controller Fake Certificate', '-keyout', join(dir, 'default.key'), '-out', join(dir, 'default.crt')], { stdio: 'ignore' });
    execFileSync('sh', ['-c', `cat "${join(dir, 'default.crt')}" "${join(dir, 'default.key')}" > "${file}" && chmod 600 "${file}"`]);
    return file;
  } catch (e) {
    log(`no default certificate (openssl: ${(e as Error).message}); TLS hosts without a Secret are served over HTTP only`);
    return undefined;
  }
}

export interface RunningController {
  stop(): Promise<void>;
  nginx: Nginx;
}

export async function startController(f: Flags, log: (m: string) => void = (m) => process.stderr.write(`${new Date().toISOString()} ${m}\n`)): Promise<RunningController> {
  const client = new KubeClient(f.kubeconfig);
  const informers = new InformerFactory(client, { namespace: f.watchNamespace, log });
  const ctx: RuntimeContext = { client, informers, log, events: new EventRecorder(client, { component: 'nginx-ingress-controller' }) };
  const ingresses = informers.for<Obj & any>(INGRESSES);
  const classes = informers.for<Obj & any>(INGRESS_CLASSES);
  const services = informers.for<Obj & any>(R.services);
  const endpoints = informers.for<Obj & any>(R.endpoints);
  const secrets = informers.for<Obj & any>(R.secrets);
  const nginx = new Nginx({ dir: f.dir, statusPort: f.statusPort, log });
  const defaultCert = makeDefaultCert(join(f.dir, 'default-cert'), log);

  const ourClasses = () => classes.list().filter((c: Obj) => c.spec?.controller === f.controllerClass);
  const served = (ing: Obj) => {
    const mine = ourClasses();
    const names = new Set([f.ingressClass, ...mine.map((c: Obj) => c.metadata.name)]);
    const cls = ing.spec?.ingressClassName ?? ing.metadata.annotations?.['kubernetes.io/ingress.class'];
    if (cls) return names.has(cls);
    return isOurs(ing, f.ingressClass, f.watchIngressWithoutClass, mine.some((c: Obj) => c.metadata.annotations?.[IS_DEFAULT_CLASS] === 'true'));
  };

  // the configuration: rendered from the caches, applied by one sync at a time
  let syncing: Promise<void> = Promise.resolve();
  let dirty = true;
  let lastError = '';
  const sync = (): Promise<void> => {
    syncing = syncing.then(async () => {
      if (!dirty) return;
      dirty = false;
      const byKey = (inf: typeof services) => new Map(inf.list().map((o: Obj) => [objKey(o), o]));
      const model = buildModel({ ingresses: ingresses.list().filter(served), services: byKey(services), endpoints: byKey(endpoints), secrets: byKey(secrets) }, f.annotationsPrefix);
      const warnings: string[] = [];
      const certs = certFiles(model, byKey(secrets), warnings);
      // --default-ssl-certificate: that Secret instead of the fake certificate
      let dflt = defaultCert;
      if (f.defaultSslCertificate) {
        const [dns, dname] = splitKey(f.defaultSslCertificate);
        const sec = secrets.get(dns, dname) as Obj | undefined;
        if (sec?.data?.['tls.crt'] && sec.data['tls.key']) {
          certs['certs/default-ssl-certificate.pem'] = Buffer.from(sec.data['tls.crt'], 'base64').toString('utf8').trimEnd() + '\n' + Buffer.from(sec.data['tls.key'], 'base64').toString('utf8').trimEnd() + '\n';
          dflt = join(f.dir, 'certs/default-ssl-certificate.pem');
        } else warnings.push(`--default-ssl-certificate ${f.defaultSslCertificate}: secret not found or not a TLS secret; using the fake certificate`);
      }
      const r = renderConfig(model, { dir: f.dir, httpPort: f.httpPort, httpsPort: f.httpsPort, streamModule: STREAM_MODULE, enableSslPassthrough: f.enableSslPassthrough, defaultCert: dflt, noEndpointsPort: f.statusPort, user: process.getuid?.() === 0 ? 'root' : undefined }, certs);
      try {
        if (await nginx.apply(r.conf, r.files, r.hash)) {
          log(`configuration ${r.hash} loaded (${model.servers.length} servers, ${model.backends.length} backends)`);
          for (const w of [...r.warnings, ...warnings]) log(`warning: ${w}`);
        }
        lastError = '';
      } catch (e) {
        lastError = (e as Error).message;
        log(`error: ${lastError}`);
        dirty = true;
        setTimeout(() => void sync(), 2000).unref();
      }
    });
    return syncing;
  };
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    dirty = true;
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void sync();
    }, 50);
  };

  const address = (): { ip?: string; hostname?: string }[] => {
    if (f.publishStatusAddress) return f.publishStatusAddress.split(',').map((a) => (/^[\d.:]+$/.test(a) ? { ip: a } : { hostname: a }));
    if (f.publishService) {
      const [ns, name] = splitKey(f.publishService);
      const svc = services.get(ns, name) as Obj | undefined;
      const lb = svc?.status?.loadBalancer?.ingress;
      if (Array.isArray(lb) && lb.length) return lb.map((x: any) => (x.ip ? { ip: x.ip } : { hostname: x.hostname }));
      if (svc?.spec?.externalIPs?.length) return svc.spec.externalIPs.map((ip: string) => ({ ip }));
      return [];
    }
    const ip = podIP();
    return ip ? [{ ip }] : [];
  };

  const controller = newController(ctx, {
    name: 'ingress-status',
    for: INGRESSES,
    options: { workers: 2 },
    reconcile: async (key) => {
      changed();
      await new Promise((r) => setTimeout(r, 60));
      await sync();
      if (!f.updateStatus) return;
      const [ns, name] = splitKey(key);
      const ing = ingresses.get(ns, name) as Obj | undefined;
      if (!ing) return;
      const want = served(ing) && !lastError ? address() : [];
      if (served(ing) && !want.length) return { requeueAfter: 2000 };
      const have = ing.status?.loadBalancer?.ingress ?? [];
      if (JSON.stringify(have) === JSON.stringify(want)) return;
      if (!served(ing) && !have.length) return;
      await client.patch(INGRESSES, ns, name, { status: { loadBalancer: { ingress: want.length ? want : null } } }, 'merge', 'status');
      log(`${key}: status.loadBalancer.ingress = ${JSON.stringify(want)}`);
    },
  });
  const enqueueAll = () => {
    for (const i of ingresses.list()) controller.enqueue(i as any);
  };
  for (const inf of [services, endpoints, secrets]) inf.on({ add: changed, update: (a: any, b: any) => a !== b && changed(), delete: changed });
  classes.on({ add: enqueueAll, update: enqueueAll, delete: enqueueAll });
  if (f.publishService) {
    const [pns, pname] = splitKey(f.publishService);
    services.on({ add: (s: Obj) => s.metadata.namespace === pns && s.metadata.name === pname && enqueueAll(), update: (_: Obj, s: Obj) => s.metadata.namespace === pns && s.metadata.name === pname && enqueueAll() });
  }
  ingresses.on({ delete: changed });
  informers.start();
  await informers.waitForSync();
  await sync();
  await controller.start();
  const health = await serveHealth({
    port: f.healthzPort,
    host: '0.0.0.0',
    healthz: { nginx: () => nginx.running || 'nginx is not running' },
    readyz: { nginx: () => (nginx.running && !!nginx.hash) || 'no configuration loaded yet', config: () => !lastError || lastError },
  });
  log(`serving IngressClass ${f.ingressClass} (controller ${f.controllerClass}); nginx on :${f.httpPort}/:${f.httpsPort}, health on :${health.port}`);
  return {
    nginx,
    stop: async () => {
      await controller.stop();
      await informers.stop();
      await health.close();
      await nginx.stop();
      client.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  const flags = parseFlags(argv, log);
  if (spawnSync(NGINX_BINARY, ['-v']).error) {
    log(`error: nginx not found (${NGINX_BINARY}): install Debian's nginx package (and libnginx-mod-stream for ssl-passthrough)`);
    return 1;
  }
  const c = await startController(flags, log);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log('shutting down');
  await c.stop();
  return 0;
}
