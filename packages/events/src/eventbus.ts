/**
 * EventBus → the objects that run it (pure). Names as upstream's controller gives them:
 * `nats.native` → StatefulSet `eventbus-<name>-stan`, headless Service `eventbus-<name>-stan-svc`,
 * ConfigMap `eventbus-<name>-stan-configmap`, Secrets `eventbus-<name>-server` / `eventbus-<name>-client`
 * (key `client-auth`); `jetstream` → `eventbus-<name>-js`, `eventbus-<name>-js-svc`,
 * `eventbus-<name>-js-config`, `eventbus-<name>-js-server` / `eventbus-<name>-js-client-auth`.
 * The servers are plain nats-server (the `nats` image), clustered with routes over the headless
 * Service; `status.config` is what EventSources and Sensors connect with (EVENTBUS_CONFIG).
 */
import { randomBytes } from 'node:crypto';
import type { AnyObj } from './util.js';
import { ownerRef, hashOf } from './util.js';

export const NATS_IMAGE = 'nats:2.10.29';
export const CLIENT_PORT = 4222;
export const CLUSTER_PORT = 6222;
export const MONITOR_PORT = 8222;

export interface BusConfig {
  nats?: { url: string; clusterID?: string; auth?: 'none' | 'token'; accessSecret?: { name: string; key: string }; limitsConfigMap?: string };
  jetstream?: { url: string; accessSecret?: { name: string; key: string }; streamConfig?: string };
  kafka?: AnyObj;
}

export type BusKind = 'native' | 'exotic' | 'jetstream' | 'kafka' | 'none';

export function busKind(spec: AnyObj | undefined): BusKind {
  if (spec?.nats?.native) return 'native';
  if (spec?.nats?.exotic) return 'exotic';
  if (spec?.jetstream) return 'jetstream';
  if (spec?.kafka) return 'kafka';
  return 'none';
}

export const names = {
  stan: (bus: string) => `eventbus-${bus}-stan`,
  stanSvc: (bus: string) => `eventbus-${bus}-stan-svc`,
  stanConfig: (bus: string) => `eventbus-${bus}-stan-configmap`,
  stanServerSecret: (bus: string) => `eventbus-${bus}-server`,
  stanClientSecret: (bus: string) => `eventbus-${bus}-client`,
  js: (bus: string) => `eventbus-${bus}-js`,
  jsSvc: (bus: string) => `eventbus-${bus}-js-svc`,
  jsConfig: (bus: string) => `eventbus-${bus}-js-config`,
  jsServerSecret: (bus: string) => `eventbus-${bus}-js-server`,
  jsClientSecret: (bus: string) => `eventbus-${bus}-js-client-auth`,
};
export const CLIENT_AUTH_KEY = 'client-auth';

/** Upstream: at least 3 replicas for a native bus ("if it is < 3, set it to 3"). */
export function nativeReplicas(native: AnyObj): number {
  const r = Number(native.replicas ?? 3);
  return Number.isFinite(r) && r >= 3 ? Math.floor(r) : 3;
}

export function jsReplicas(js: AnyObj): number {
  const r = Number(js.replicas ?? 3);
  return Number.isFinite(r) && r >= 1 ? Math.floor(r) : 3;
}

/** A Go-style duration ("72h", "1h30m", "10s") → seconds (undefined when it does not parse). */
export function durationSeconds(d: unknown): number | undefined {
  if (typeof d === 'number') return d;
  if (typeof d !== 'string' || !d.trim()) return undefined;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const mult: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  let consumed = 0;
  for (let m; (m = re.exec(d)); ) {
    total += Number(m[1]) * mult[m[2]];
    consumed += m[0].length;
  }
  return consumed === d.trim().length ? total : undefined;
}

/** A byte size ("1GB", "512Mi", 1024) → bytes. */
export function byteSize(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([kKmMgGtT]?)(i?)[bB]?\s*$/.exec(v);
  if (!m) return undefined;
  const base = m[3] ? 1024 : 1000;
  const exp = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase() as ''];
  return Math.round(Number(m[1]) * base ** exp);
}

/**
 * A native bus's store limits as upstream documents them (per channel; 0 = unlimited): `maxAge` (default 72h),
 * `maxMsgs` (1,000,000), `maxBytes` (1GB), `maxSubs` (1000). maxAge in seconds, maxBytes in bytes.
 */
export interface NativeLimits {
  maxAge: number;
  maxMsgs: number;
  maxBytes: number;
  maxSubs: number;
}

export function nativeLimits(native: AnyObj): NativeLimits {
  const nonNeg = (v: number | undefined, what: string, given: unknown) => {
    if (v === undefined || !Number.isFinite(v) || v < 0) throw new Error(`"spec.nats.native.${what}" ${JSON.stringify(given)} is not a valid ${what === 'maxAge' ? 'duration (e.g. 72h)' : what === 'maxBytes' ? 'size (e.g. 1GB)' : 'count'}`);
    return v;
  };
  return {
    maxAge: nonNeg(native.maxAge === undefined || native.maxAge === '' ? 72 * 3600 : durationSeconds(native.maxAge), 'maxAge', native.maxAge),
    maxMsgs: nonNeg(native.maxMsgs === undefined ? 1_000_000 : Number(native.maxMsgs), 'maxMsgs', native.maxMsgs),
    maxBytes: nonNeg(native.maxBytes === undefined || native.maxBytes === '' ? 1e9 : byteSize(native.maxBytes), 'maxBytes', native.maxBytes),
    maxSubs: nonNeg(native.maxSubs === undefined ? 1000 : Number(native.maxSubs), 'maxSubs', native.maxSubs),
  };
}

function routes(svc: string, sts: string, ns: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `nats://${sts}-${i}.${svc}.${ns}.svc:${CLUSTER_PORT}`);
}

/** nats-server configuration of a native bus (token from the environment: NATS_TOKEN). */
export function nativeServerConfig(bus: AnyObj): string {
  const name = bus.metadata.name;
  const ns = bus.metadata.namespace;
  const native = bus.spec.nats.native;
  const replicas = nativeReplicas(native);
  const lim = nativeLimits(native);
  const lines = [
    `# EventBus ${ns}/${name} (nats.native): core NATS, clustered with routes`,
    `port: ${CLIENT_PORT}`,
    `http: ${MONITOR_PORT}`,
    `server_name: $POD_NAME`,
    `max_payload: ${byteSize(native.maxPayload) ?? 1048576}`,
    `max_subscriptions: ${Number(native.maxSubs ?? 1000)}`,
    `# the channel store of the streaming server: JetStream keeps the bus's messages in one stream whose limits`,
    `# are the spec's (limits.json of this ConfigMap, mounted in the EventSource pods, which create and update it)`,
    `jetstream {`,
    `  store_dir: "/data/stan/store"`,
    `  max_memory_store: 67108864`,
    ...(lim.maxBytes > 0 ? [`  max_file_store: ${Math.max(lim.maxBytes * 2, 64 * 1024 * 1024)}`] : []),
    `}`,
    `cluster {`,
    `  name: ${JSON.stringify(`eventbus-${name}`)}`,
    `  listen: "0.0.0.0:${CLUSTER_PORT}"`,
    `  routes: [${routes(names.stanSvc(name), names.stan(name), ns, replicas).map((r) => JSON.stringify(r)).join(', ')}]`,
    `  connect_retries: 120`,
    `}`,
  ];
  if (native.auth === 'token') lines.push('authorization {', '  token: $NATS_TOKEN', '}');
  return lines.join('\n') + '\n';
}

/** nats-server configuration of a JetStream bus (user/password from JS_USER / JS_PASSWORD). */
export function jetstreamServerConfig(bus: AnyObj, defaultSettings = ''): string {
  const name = bus.metadata.name;
  const ns = bus.metadata.namespace;
  const js = bus.spec.jetstream;
  const replicas = jsReplicas(js);
  const settings = parseSettings(js.settings ?? defaultSettings);
  const lines = [
    `# EventBus ${ns}/${name} (jetstream)`,
    `port: ${CLIENT_PORT}`,
    `http: ${MONITOR_PORT}`,
    `server_name: $POD_NAME`,
    `max_payload: ${byteSize(js.maxPayload) ?? 1048576}`,
    `jetstream {`,
    `  store_dir: "/data/jetstream/store"`,
    ...Object.entries(settings).map(([k, v]) => `  ${k}: ${v}`),
    `}`,
  ];
  if (replicas > 1) {
    lines.push(
      `cluster {`,
      `  name: ${JSON.stringify(`eventbus-${name}`)}`,
      `  listen: "0.0.0.0:${CLUSTER_PORT}"`,
      `  routes: [${routes(names.jsSvc(name), names.js(name), ns, replicas).map((r) => JSON.stringify(r)).join(', ')}]`,
      `  connect_retries: 120`,
      `}`,
    );
  }
  lines.push('authorization {', '  users: [ { user: $JS_USER, password: $JS_PASSWORD } ]', '}');
  return lines.join('\n') + '\n';
}

/** `key: value` lines of a `settings` block (comments dropped; store_dir is fixed, as upstream says). */
export function parseSettings(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of String(text).split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    const m = /^([A-Za-z_][\w]*)\s*[:=]\s*(.+)$/.exec(line);
    if (m && m[1] !== 'store_dir') out[m[1]] = m[2].trim();
  }
  return out;
}

/** The stream configuration given to clients: the controller's defaults overlaid by the bus's. */
export function streamConfig(bus: AnyObj, defaults: string): string {
  const js = bus.spec.jetstream;
  const merged: Record<string, string> = { ...parseSettings(defaults), ...parseSettings(js.streamConfig ?? '') };
  const rep = Number(merged.replicas ?? 3);
  merged.replicas = String(Math.min(Number.isFinite(rep) ? rep : 3, jsReplicas(js)));
  return Object.entries(merged).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';
}

export function labels(bus: AnyObj, extra: Record<string, string> = {}): Record<string, string> {
  return { controller: 'eventbus-controller', 'eventbus-name': bus.metadata.name, 'owner-name': bus.metadata.name, ...extra };
}

/**
 * A random credential: a letter, then hex (`bytes` * 2 characters in all). The servers take the token
 * and the JetStream password from the environment (`token: $NATS_TOKEN`, `password: $JS_PASSWORD`),
 * and nats-server parses a variable's value as a configuration value, not as a string: one that starts
 * with digits becomes a number ("9e3f…": a float that does not end, a parse error; "1234…" an integer;
 * "7m…" a size) and the server exits at start, for good, since the Secret keeps the value (about one
 * hex value in ten; every server of the bus in CrashLoopBackOff).
 */
export function newSecretValue(bytes = 24): string {
  const hex = randomBytes(bytes).toString('hex');
  return String.fromCharCode(97 + (randomBytes(1)[0]! % 26)) + hex.slice(1);
}

/** A credential nats-server reads as a string from its environment: a letter, then letters, digits, '_' or '-'. */
export function natsSafeSecret(v: string | undefined): v is string {
  return !!v && /^[A-Za-z][A-Za-z0-9_-]*$/.test(v);
}

/** The controller's defaults (its config file, argo-events-controller-config). */
export interface BusDefaults {
  jsSettings?: string;
  jsStreamConfig?: string;
  /** jetstream.versions: version → natsImage */
  jsVersions?: Record<string, string>;
}

/** The nats image of a JetStream version: the controller config's natsImage, else nats:<version>. */
export function jsImage(version: unknown, versions: Record<string, string> = {}): string {
  const v = String(version ?? 'latest');
  return versions[v] ?? (/^\d/.test(v) ? `nats:${v}` : NATS_IMAGE);
}

export interface BusObjects {
  statefulSet?: AnyObj;
  service?: AnyObj;
  configMap?: AnyObj;
  /** Secrets with their data (stringData); existing values are kept by the controller */
  secrets: AnyObj[];
  config: BusConfig;
  deployedMessage: string;
}

/** The secrets' current credentials (from the existing server Secret), or new ones. */
export interface Credentials {
  token?: string;
  user?: string;
  password?: string;
}

function podTemplate(bus: AnyObj, impl: AnyObj, kind: 'stan' | 'js', cfgName: string, hash: string, env: AnyObj[], image: string): AnyObj {
  const ct = impl.containerTemplate ?? {};
  const meta = impl.metadata ?? {};
  const volumes: AnyObj[] = [{ name: 'config-volume', configMap: { name: cfgName } }];
  const mounts: AnyObj[] = [{ name: 'config-volume', mountPath: '/etc/nats-config' }];
  if (kind === 'js') {
    mounts.push({ name: 'js-data', mountPath: '/data/jetstream' });
    if (!impl.persistence) volumes.push({ name: 'js-data', emptyDir: {} });
  } else {
    // the channel store (JetStream) of a native bus
    mounts.push({ name: 'stan-data', mountPath: '/data/stan' });
    if (!impl.persistence) volumes.push({ name: 'stan-data', emptyDir: {} });
  }
  return {
    metadata: { labels: { ...(meta.labels ?? {}), ...labels(bus) }, annotations: { ...(meta.annotations ?? {}), 'events.argoproj.io/config-hash': hash } },
    spec: {
      ...(impl.serviceAccountName ? { serviceAccountName: impl.serviceAccountName } : {}),
      ...(impl.nodeSelector ? { nodeSelector: impl.nodeSelector } : {}),
      ...(impl.tolerations ? { tolerations: impl.tolerations } : {}),
      ...(impl.affinity ? { affinity: impl.affinity } : {}),
      ...(impl.imagePullSecrets ? { imagePullSecrets: impl.imagePullSecrets } : {}),
      ...(impl.priorityClassName ? { priorityClassName: impl.priorityClassName } : {}),
      ...(impl.securityContext ? { securityContext: impl.securityContext } : {}),
      containers: [
        {
          name: 'main',
          image,
          args: ['--config', '/etc/nats-config/nats.conf'],
          ports: [
            { name: 'client', containerPort: CLIENT_PORT },
            { name: 'cluster', containerPort: CLUSTER_PORT },
            { name: 'monitor', containerPort: MONITOR_PORT },
          ],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, ...env],
          volumeMounts: mounts,
          ...(ct.resources ? { resources: ct.resources } : {}),
          ...(ct.imagePullPolicy ? { imagePullPolicy: ct.imagePullPolicy } : {}),
          // a JetStream server is ready once it serves clients with JetStream enabled; the full /healthz
          // also waits for the meta leader and every stream replica to be current, which a cluster
          // under load can take minutes to reach (and a bus with one slow peer would never be ready)
          readinessProbe: { httpGet: { path: kind === 'js' ? '/healthz?js-enabled-only=true' : '/healthz', port: MONITOR_PORT }, periodSeconds: 2, initialDelaySeconds: 1 },
        },
      ],
      volumes,
    },
  };
}

function statefulSet(bus: AnyObj, impl: AnyObj, kind: 'stan' | 'js', replicas: number, name: string, svc: string, cfgName: string, hash: string, env: AnyObj[], image: string): AnyObj {
  const p = impl.persistence;
  const claim = kind === 'js' ? 'js-data' : 'stan-data';
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: bus.metadata.namespace, labels: labels(bus), ownerReferences: [ownerRef(bus)] },
    spec: {
      replicas,
      serviceName: svc,
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: labels(bus) },
      template: podTemplate(bus, impl, kind, cfgName, hash, env, image),
      ...(p
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: claim },
                spec: {
                  accessModes: [p.accessMode ?? 'ReadWriteOnce'],
                  ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}),
                  resources: { requests: { storage: p.volumeSize ?? '20Gi' } },
                },
              },
            ],
          }
        : {}),
    },
  };
}

function headless(bus: AnyObj, name: string): AnyObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: bus.metadata.namespace, labels: labels(bus), ownerReferences: [ownerRef(bus)] },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: labels(bus),
      ports: [
        { name: 'client', port: CLIENT_PORT, targetPort: CLIENT_PORT },
        { name: 'cluster', port: CLUSTER_PORT, targetPort: CLUSTER_PORT },
        { name: 'monitor', port: MONITOR_PORT, targetPort: MONITOR_PORT },
      ],
    },
  };
}

function secret(bus: AnyObj, name: string, data: Record<string, string>): AnyObj {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace: bus.metadata.namespace, labels: labels(bus), ownerReferences: [ownerRef(bus)] }, stringData: data };
}

function configMap(bus: AnyObj, name: string, conf: string, extra: Record<string, string> = {}): AnyObj {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: bus.metadata.namespace, labels: labels(bus), ownerReferences: [ownerRef(bus)] }, data: { 'nats.conf': conf, ...extra } };
}

/** Everything a bus needs, from its spec, the credentials to use and the controller's JetStream defaults. */
export function busObjects(bus: AnyObj, creds: Credentials, defaults: BusDefaults = {}): BusObjects {
  const name = bus.metadata.name;
  const ns = bus.metadata.namespace;
  const kind = busKind(bus.spec);
  if (kind === 'native') {
    const native = bus.spec.nats.native;
    const conf = nativeServerConfig(bus);
    const token = native.auth === 'token';
    const env = token ? [{ name: 'NATS_TOKEN', valueFrom: { secretKeyRef: { name: names.stanServerSecret(name), key: 'token' } } }] : [];
    const hash = hashOf({ conf, token: creds.token ?? '' });
    const sts = statefulSet(bus, native, 'stan', nativeReplicas(native), names.stan(name), names.stanSvc(name), names.stanConfig(name), hash, env, NATS_IMAGE);
    // ready once serving clients with its store enabled: clients need no stream leader to publish (core NATS)
    for (const c of sts.spec.template.spec.containers) c.readinessProbe.httpGet.path = '/healthz?js-enabled-only=true';
    const lim = nativeLimits(native);
    return {
      configMap: configMap(bus, names.stanConfig(name), conf, { 'limits.json': JSON.stringify(lim) }),
      service: headless(bus, names.stanSvc(name)),
      statefulSet: sts,
      secrets: token
        ? [secret(bus, names.stanServerSecret(name), { token: creds.token! }), secret(bus, names.stanClientSecret(name), { [CLIENT_AUTH_KEY]: creds.token! })]
        : [],
      config: {
        nats: {
          url: `nats://${names.stanSvc(name)}.${ns}.svc:${CLIENT_PORT}`,
          clusterID: `eventbus-${name}`,
          auth: token ? 'token' : 'none',
          ...(token ? { accessSecret: { name: names.stanClientSecret(name), key: CLIENT_AUTH_KEY } } : {}),
          limitsConfigMap: names.stanConfig(name),
        },
      },
      deployedMessage: 'StatefulSet is deployed',
    };
  }
  if (kind === 'jetstream') {
    const js = bus.spec.jetstream;
    const conf = jetstreamServerConfig(bus, defaults.jsSettings);
    const env = [
      { name: 'JS_USER', valueFrom: { secretKeyRef: { name: names.jsServerSecret(name), key: 'username' } } },
      { name: 'JS_PASSWORD', valueFrom: { secretKeyRef: { name: names.jsServerSecret(name), key: 'password' } } },
    ];
    const hash = hashOf({ conf, u: creds.user, p: creds.password });
    return {
      configMap: configMap(bus, names.jsConfig(name), conf),
      service: headless(bus, names.jsSvc(name)),
      statefulSet: statefulSet(bus, js, 'js', jsReplicas(js), names.js(name), names.jsSvc(name), names.jsConfig(name), hash, env, jsImage(js.version, defaults.jsVersions)),
      secrets: [
        secret(bus, names.jsServerSecret(name), { username: creds.user!, password: creds.password! }),
        secret(bus, names.jsClientSecret(name), { [CLIENT_AUTH_KEY]: `username: ${creds.user}\npassword: ${creds.password}\n` }),
      ],
      config: {
        jetstream: {
          url: `nats://${names.jsSvc(name)}.${ns}.svc:${CLIENT_PORT}`,
          accessSecret: { name: names.jsClientSecret(name), key: CLIENT_AUTH_KEY },
          streamConfig: streamConfig(bus, defaults.jsStreamConfig ?? ''),
        },
      },
      deployedMessage: 'JetStream is deployed',
    };
  }
  if (kind === 'exotic') {
    const ex = bus.spec.nats.exotic;
    return {
      secrets: [],
      config: { nats: { url: ex.url, ...(ex.clusterID ? { clusterID: ex.clusterID } : {}), auth: ex.auth ?? 'none', ...(ex.accessSecret ? { accessSecret: ex.accessSecret } : {}) } },
      deployedMessage: 'Skip deployment because of using exotic config.',
    };
  }
  if (kind === 'kafka') {
    const k = bus.spec.kafka;
    return {
      secrets: [],
      config: { kafka: { ...k, topic: k.topic ?? `${ns}-${name}` } },
      deployedMessage: 'Skip deployment because of using external Kafka (no Kafka server is part of this installation; EventSources and Sensors connect to the given url)',
    };
  }
  throw new Error('invalid spec: either "nats", "jetstream" or "kafka" needs to be specified');
}
