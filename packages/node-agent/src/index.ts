/**
 * @flotilla/node-agent — a kubelet for local processes. It registers a Node, watches the pods
 * bound to it and runs their containers as sandboxed local processes (bubblewrap when present),
 * talking to the cluster only through the Kubernetes API.
 */
import { releaseSpawner, Spawner, useSpawner } from './spawner.js';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeClient, Informer, EventRecorder, R, type AnyObject as KubeObject } from '@flotilla/kube-runtime';
import { ImageTable, type ImageMapping } from './images.js';
import { bwrapContext, detectBwrap, FifoMaker, installShim, type BwrapContext, type SandboxMode } from './sandbox.js';
import { Ipam } from './ipam.js';
import { hostResources, NodeRegistration } from './node.js';
import { listPodDirs, PodWorker, readState, removePodFiles, type AgentContext, type PodState } from './pod.js';
import { startKubeletServer } from './server.js';
import { ResourceStats } from './stats.js';
import { bootId, isAlive, procCmdline, signal } from './procs.js';
import type { ServiceInfo } from './env.js';
import { detectNetns, HostNetwork, NetnsNetwork, type PodNetwork } from './network.js';
import { dnsRecords, HostPorts, serviceTable } from './services.js';

export type { ImageMapping } from './images.js';
export { DEFAULT_IMAGES, parseImage } from './images.js';
export type { SandboxMode } from './sandbox.js';
/** whether pods can have network namespaces, and egress (tests and tools) */
export { detectNetns } from './network.js';
export { detectEgress } from './egress.js';

export interface NodeAgentOptions {
  /** kubeconfig of the cluster (its token is also accepted by the kubelet endpoint) */
  kubeconfig: string;
  /** default "flotilla-node" */
  nodeName?: string;
  /** pod directories, logs, state files, `images.json` */
  dataDir: string;
  /** image → local program mappings, over the defaults (see DEFAULT_IMAGES) */
  images?: Record<string, ImageMapping>;
  log?: (m: string) => void;
  /** "auto" (default): bubblewrap when it works, else plain processes with a warning */
  sandbox?: 'auto' | 'bwrap' | 'none';
  /** CrashLoopBackOff: first delay (default 10 000 ms), doubling up to backoffMaxMs (300 000 ms) */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** port of the kubelet HTTP endpoint on 127.0.0.1 (default: a free port) */
  kubeletPort?: number;
  /** more bearer tokens the kubelet endpoint accepts (the kubeconfig's token always is) */
  kubeletTokens?: string[];
  /**
   * CPU priority of BestEffort pods (no requests or limits): their processes run at this nice value
   * (default 10; 0 leaves them alone). A kubelet gives such pods the smallest cpu.shares, so the
   * control plane and pods that ask for CPU come first when the machine is busy.
   */
  bestEffortNice?: number;
  /** container log rotation: size of a file (default 10 MiB) and files kept per container (5) */
  logMaxBytes?: number;
  logMaxFiles?: number;
  /** Node status heartbeat (default 30 s); the Lease is renewed every leaseSeconds/4 (default 40 s) */
  heartbeatSeconds?: number;
  leaseSeconds?: number;
  /** host paths containers must not see (the data dir and the kubeconfig are always hidden) */
  hidePaths?: string[];
  /** level-triggered resync of every pod (default 10 000 ms) */
  resyncMs?: number;
  /**
   * Pod networking. "auto" (default): a network namespace per pod when the agent can make them
   * (root, iproute2, nsenter), else "host" with a warning; "netns": fail when it cannot;
   * "host": pods share the host's network namespace, each with a loopback address.
   */
  network?: 'auto' | 'netns' | 'host';
}

export interface NodeAgent {
  /** base URL of the kubelet endpoint (`GET /containerLogs/...`) */
  kubeletUrl: string;
  nodeName: string;
  sandbox: SandboxMode;
  /** "netns" (a network namespace per pod) or "host" */
  network: 'netns' | 'host';
  /** opens a TCP connection to a pod address as seen from the pod network */
  dial(ip: string, port: number): Promise<import('node:stream').Duplex>;
  /** the address a LoadBalancer Service got on this host (127.0.1.x), once it has one */
  loadBalancerAddress(namespace: string, name: string): string | undefined;
  /**
   * Stops the agent. By default the pods' processes are stopped too (SIGTERM, then SIGKILL after
   * 2 s) without touching the API; with `keepPods` they keep running and the next agent started on
   * the same dataDir re-adopts them.
   */
  stop(opts?: { keepPods?: boolean }): Promise<void>;
  /** resolves once queued Events are posted (tests) */
  flushEvents(): Promise<void>;
}

function readCa(kubeconfig: string, api: KubeClient): string {
  if (api.caPem) return api.caPem;
  try {
    const m = /certificate-authority:\s*(\S+)/.exec(readFileSync(kubeconfig, 'utf8'));
    if (m) return readFileSync(m[1], 'utf8');
  } catch {
    /* none */
  }
  return '';
}

export async function startNodeAgent(opts: NodeAgentOptions): Promise<NodeAgent> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`node-agent: ${m}\n`));
  const nodeName = opts.nodeName ?? 'flotilla-node';
  const dataDir = opts.dataDir;
  for (const d of ['pods', 'logs', 'tmp', 'volumes']) mkdirSync(join(dataDir, d), { recursive: true, mode: d === 'tmp' ? 0o711 : 0o700 });
  // the kubelet's own client: throughput as before (kubelet's defaults, 50/100, would throttle pod status)
  const api = new KubeClient(opts.kubeconfig, { fieldManager: 'kubelet', userAgent: 'flotilla-node-agent', qps: 1000, burst: 2000 });
  await api.ready();

  let mode: SandboxMode = 'none';
  let bw: BwrapContext | undefined;
  let why = 'the sandbox is disabled (sandbox: "none")';
  if ((opts.sandbox ?? 'auto') !== 'none') {
    const d = detectBwrap();
    if (d.path && !d.reason) {
      mode = 'bwrap';
      bw = bwrapContext(d.path, [dataDir, opts.kubeconfig, ...(opts.hidePaths ?? [])]);
    } else if (opts.sandbox === 'bwrap') {
      api.close();
      throw new Error(`node agent: sandbox "bwrap" requested but ${d.reason}`);
    } else why = d.reason ?? 'bubblewrap is unusable';
  }
  if (mode === 'none')
    log(
      `WARNING: ${why}: pods run as plain processes without isolation — no private /tmp, no PID namespace, ` +
        `volumes are not mounted at their mountPath (paths under a mountPath in command, args, env and workingDir are rewritten into the pod's directory). ` +
        `Install bubblewrap (e.g. apt-get install bubblewrap) to sandbox pods.`,
    );
  const shim = installShim(join(dataDir, 'bin'));
  // while this file exists and this process lives, this agent reads the output its containers leave in
  // their FIFOs (their shims then save none of it; see SHIM in sandbox.ts); removed when it stops
  const reader = { pid: process.pid, token: join(dataDir, 'bin', `reader.${process.pid}.${Date.now().toString(36)}`) };
  for (const f of readdirSync(join(dataDir, 'bin'))) if (f.startsWith('reader.')) rmSync(join(dataDir, 'bin', f), { force: true }); // a previous agent's
  writeFileSync(reader.token, '');
  // container processes and network commands are started by a small helper, not by this event loop
  const spawner = new Spawner(log);
  useSpawner(spawner);
  const images = new ImageTable(opts.images, join(dataDir, 'images.json'));
  const resources = hostResources(dataDir);
  let network: PodNetwork = new HostNetwork();
  if ((opts.network ?? 'auto') !== 'host') {
    const d = detectNetns();
    if (d.ip && d.nsenter) {
      network = await NetnsNetwork.start({ id: NetnsNetwork.idFor(dataDir), ip: d.ip, nsenter: d.nsenter, log });
    } else if (opts.network === 'netns') {
      api.close();
      throw new Error(`node agent: network "netns" requested but ${d.reason}`);
    } else
      log(
        `WARNING: ${d.reason}: pods share the host's network namespace (each with its own 127.x address; two pods listening on 0.0.0.0 at the same port collide, ` +
          `and ClusterIPs are not routed — use NodePorts or port-forward). Run the agent as root with iproute2 to give every pod its own network.`,
      );
  }
  const ipam = new Ipam(nodeName, network.mode === 'netns' ? 'pod-cidr' : 'loopback');
  const boot = bootId();

  const workers = new Map<string, PodWorker>();
  const uidByName = new Map<string, string>();
  const finished = new Set<string>();
  const services = new Map<string, Map<string, ServiceInfo>>();
  const serviceObjs = new Map<string, KubeObject>();
  const endpointObjs = new Map<string, KubeObject>();
  const serviceAccounts = new Map<string, { automount?: boolean }>();
  const tokens = new Set<string>([...(opts.kubeletTokens ?? [])]);
  if (api.token) tokens.add(api.token);

  const stats = new ResourceStats(nodeName, () =>
    [...workers.values()].filter((w) => !w.removed).map((w) => ({ namespace: w.namespace, name: w.name, uid: w.uid, startTime: w.startTime, containers: w.usageRefs() })),
  );
  const kubelet = await startKubeletServer({
    host: '127.0.0.1',
    port: opts.kubeletPort ?? 0,
    tokens: () => tokens,
    findPod: (ns, name) => {
      const uid = uidByName.get(`${ns}/${name}`);
      return uid ? workers.get(uid) : undefined;
    },
    pods: () => [...workers.values()],
    summary: () => stats.summary(),
    log,
    dialPod: (w, port) => network.dial(w.ip, port),
  });

  const events = new EventRecorder(api, { component: 'kubelet', host: nodeName, log });
  /** the `kubernetes` Service, when pods have networks of their own and it has a ClusterIP */
  const kubernetesService = (): ServiceInfo | undefined => {
    const k = network.mode === 'netns' ? services.get('default')?.get('kubernetes') : undefined;
    return k?.clusterIP && k.clusterIP !== 'None' ? k : undefined;
  };
  const apiUrl = api.server;
  const ctx: AgentContext = {
    api,
    nodeName,
    dataDir,
    images,
    mode,
    bwrap: bw,
    shim,
    reader,
    bestEffortNice: opts.bestEffortNice ?? 10,
    log,
    events,
    servicesIn: (ns) => [...(services.get(ns)?.values() ?? [])],
    caPem: readCa(opts.kubeconfig, api),
    // containers reach the API server through the `kubernetes` Service when pods have their own network
    get apiHost() {
      return kubernetesService()?.clusterIP ?? apiUrl.hostname.replace(/^\[|\]$/g, '');
    },
    get apiPort() {
      const k = kubernetesService();
      return (k && (k.ports.find((x) => x.name === 'https')?.port ?? k.ports[0]?.port)) ?? Number(apiUrl.port || (apiUrl.protocol === 'https:' ? 443 : 80));
    },
    net: network,
    alloc: { cpu: resources.cpu, memory: resources.memory, 'ephemeral-storage': resources['ephemeral-storage'] },
    backoffBaseMs: opts.backoffBaseMs ?? 10_000,
    backoffMaxMs: opts.backoffMaxMs ?? 300_000,
    logMaxBytes: opts.logMaxBytes ?? 10 * 1024 * 1024,
    logMaxFiles: opts.logMaxFiles ?? 5,
    ipam,
    boot,
    hostIP: '127.0.0.1',
    isCurrent: (ns, name, uid) => uidByName.get(`${ns}/${name}`) === uid,
    fifos: new FifoMaker(),
    serviceAccount: (ns, name) => serviceAccounts.get(`${ns}/${name}`),
    onRemoved: (w) => {
      workers.delete(w.uid);
      if ((w.pod.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((p: any) => p.hostPort))) routesChanged();
      finished.add(w.uid);
      if (finished.size > 10_000) finished.clear();
    },
  };

  const reg = new NodeRegistration(api, nodeName, {
    kubeletPort: kubelet.port,
    resources,
    heartbeatSeconds: opts.heartbeatSeconds ?? 30,
    leaseSeconds: opts.leaseSeconds ?? 40,
    sandbox: mode,
    log,
  });
  try {
    await reg.register();
  } catch (e) {
    await kubelet.close();
    await network.stop(true).catch(() => {});
    api.close();
    throw new Error(`node agent: registering node ${nodeName}: ${(e as Error).message}`);
  }
  reg.start();

  // Services, for the environment variables of new containers
  const svcInf = new Informer<KubeObject>(api, R.services, { log });
  svcInf.on({
    add: (s) => (putService(s), routesChanged()),
    update: (_o, s) => (putService(s), routesChanged()),
    delete: (s) => {
      services.get(s.metadata?.namespace)?.delete(s.metadata?.name);
      serviceObjs.delete(`${s.metadata?.namespace}/${s.metadata?.name}`);
      routesChanged();
    },
  });
  svcInf.start();
  // Endpoints: the service proxy, NodePorts, LoadBalancers and cluster DNS follow them
  const epInf = new Informer<KubeObject>(api, R.endpoints, { log });
  const putEp = (e: KubeObject) => (endpointObjs.set(`${e.metadata?.namespace}/${e.metadata?.name}`, e), routesChanged());
  epInf.on({ add: putEp, update: (_o, e) => putEp(e), delete: (e) => (endpointObjs.delete(`${e.metadata?.namespace}/${e.metadata?.name}`), routesChanged()) });
  epInf.start();
  const hostPorts = new HostPorts(
    (ip, port) => network.dial(ip, port),
    log,
    (ns, name, ip) => {
      void api
        .patch(R.services, ns, name, { status: { loadBalancer: { ingress: ip ? [{ ip, ipMode: 'VIP' }] : null } } }, 'merge', 'status')
        .catch((e) => log(`service ${ns}/${name}: writing the load balancer address: ${e.message}`));
    },
  );
  let routesTimer: NodeJS.Timeout | undefined;
  let applying = Promise.resolve();
  function routesChanged(): void {
    if (routesTimer) return;
    routesTimer = setTimeout(() => {
      routesTimer = undefined;
      const table = serviceTable(serviceObjs.values(), endpointObjs);
      // containers' hostPorts: on host loopback, to the pod (like a CNI portmap plugin)
      for (const w of workers.values()) {
        if (w.removed || w.pod.spec?.hostNetwork) continue;
        for (const c of [...(w.pod.spec?.initContainers ?? []), ...(w.pod.spec?.containers ?? [])])
          for (const p of c.ports ?? [])
            if (p.hostPort && (p.protocol ?? 'TCP') === 'TCP')
              table.nodePorts.push({ key: `hp:${p.hostPort}`, port: p.hostPort, backends: [{ ip: w.ip, port: p.containerPort }], name: `${w.key} hostPort ${p.hostPort}` });
      }
      network.setServices(table.entries);
      network.setDns(dnsRecords(serviceObjs.values(), endpointObjs));
      applying = applying.then(() => hostPorts.apply(table)).catch((e) => log(`host ports: ${e.message}`));
    }, 10);
  }
  // ServiceAccounts, to decide on the API token mount without a request per pod
  const saInf = new Informer<KubeObject>(api, R.serviceaccounts, { log });
  const putSa = (s: KubeObject) => serviceAccounts.set(`${s.metadata?.namespace}/${s.metadata?.name}`, { automount: s.automountServiceAccountToken });
  saInf.on({ add: putSa, update: (_o, s) => putSa(s), delete: (s) => serviceAccounts.delete(`${s.metadata?.namespace}/${s.metadata?.name}`) });
  saInf.start();
  function putService(s: KubeObject): void {
    const ns = s.metadata?.namespace;
    if (!ns) return;
    let m = services.get(ns);
    if (!m) services.set(ns, (m = new Map()));
    serviceObjs.set(`${ns}/${s.metadata!.name}`, s);
    m.set(s.metadata!.name, { name: s.metadata!.name, namespace: ns, clusterIP: s.spec?.clusterIP, ports: (s.spec?.ports ?? []).map((p: any) => ({ name: p.name, port: p.port, protocol: p.protocol })) });
  }

  // State left by a previous agent on this dataDir
  const restored = new Map<string, PodState>();
  for (const dir of listPodDirs(dataDir)) {
    const s = readState(dir);
    if (s) restored.set(s.uid, s);
    else rmSync(dir, { recursive: true, force: true });
  }
  for (const s of restored.values()) if (!s.netReleased) ipam.reserve(s.ip);

  const deleteNow = (pod: KubeObject) => {
    void api
      .delete(R.pods, pod.metadata!.namespace, pod.metadata!.name, { gracePeriodSeconds: 0, uid: pod.metadata!.uid })
      .catch(() => {});
  };

  const handlePod = (pod: KubeObject) => {
    const md = pod.metadata ?? {};
    const uid: string = md.uid;
    if (!uid) return;
    uidByName.set(`${md.namespace}/${md.name}`, uid);
    if (finished.has(uid)) {
      if (md.deletionTimestamp) deleteNow(pod);
      return;
    }
    const w = workers.get(uid);
    if (w) {
      w.update(pod);
      return;
    }
    const state = restored.get(uid);
    restored.delete(uid);
    const phase = pod.status?.phase;
    if (!state && (phase === 'Succeeded' || phase === 'Failed')) {
      // finished before this agent's time: nothing runs here
      if (md.deletionTimestamp) deleteNow(pod);
      return;
    }
    if (!state && md.deletionTimestamp) {
      // never started here: nothing to stop
      deleteNow(pod);
      return;
    }
    const nw = new PodWorker(ctx, pod, state);
    workers.set(uid, nw);
    nw.schedule();
    if ((pod.spec?.containers ?? []).some((c: any) => (c.ports ?? []).some((p: any) => p.hostPort))) routesChanged();
  };

  const podGone = (pod: KubeObject) => {
    const md = pod.metadata ?? {};
    const key = `${md.namespace}/${md.name}`;
    if (uidByName.get(key) === md.uid) uidByName.delete(key);
    const w = workers.get(md.uid);
    if (w) {
      w.gone = true;
      w.schedule();
    }
  };

  // a re-list reports pods gone meanwhile as deletions
  const podInf = new Informer<KubeObject>(api, R.pods, { fieldSelector: `spec.nodeName=${nodeName}`, log });
  podInf.on({ add: handlePod, update: (_o, p) => handlePod(p), delete: podGone });
  void podInf.synced.then(() => {
    // pods that are gone: stop what they left and clean up
    for (const s of restored.values()) cleanupOrphan(s);
    restored.clear();
    killStrays();
    void network.sweep(new Set(workers.keys())).catch((e) => log(`sweeping pod networks: ${e.message}`));
  });
  podInf.start();

  function cleanupOrphan(s: PodState): void {
    for (const c of Object.values(s.containers)) {
      const r = c.run;
      if (r && isAlive(r.shimPid, r.shimStart)) signal(-r.shimPid, 'SIGKILL');
    }
    removePodFiles(dataDir, s.uid);
    void network.teardown(s.uid, s.ip).catch(() => {});
    ipam.release(s.ip);
    log(`removed pod ${s.namespace}/${s.name} (${s.uid}): no longer bound to this node`);
  }

  /** Shims of this dataDir that no worker owns (e.g. the agent died between spawn and save). */
  function killStrays(): void {
    const owned = new Set<number>();
    for (const w of workers.values()) for (const p of w.shimPids()) owned.add(p);
    const podsDir = join(dataDir, 'pods') + '/';
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
    } catch {
      return;
    }
    for (const p of pids) {
      const pid = Number(p);
      if (owned.has(pid) || pid === process.pid) continue;
      const cmd = procCmdline(pid);
      if (cmd[1] === shim && (cmd[2] ?? '').startsWith(podsDir)) {
        log(`killing stray container process group ${pid} (${cmd[2]})`);
        signal(-pid, 'SIGKILL');
      }
    }
  }

  const timers: NodeJS.Timeout[] = [];
  const resync = setInterval(() => {
    for (const w of workers.values()) w.schedule();
  }, opts.resyncMs ?? 10_000);
  resync.unref();
  timers.push(resync);
  const poll = setInterval(() => {
    for (const w of workers.values()) w.pollAdopted();
  }, 500);
  poll.unref();
  timers.push(poll);

  await Promise.race([podInf.synced, new Promise((r) => setTimeout(r, 10_000).unref())]);
  log(`node ${nodeName} ready (sandbox: ${mode}, kubelet ${kubelet.url})`);

  let stopped = false;
  return {
    kubeletUrl: kubelet.url,
    nodeName,
    sandbox: mode,
    network: network.mode,
    dial: (ip, port) => network.dial(ip, port),
    loadBalancerAddress: (ns, name) => hostPorts.addressOf(ns, name),
    flushEvents: () => events.flush(),
    async stop(o = {}) {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearInterval(t);
      void podInf.stop();
      void svcInf.stop();
      void epInf.stop();
      if (routesTimer) clearTimeout(routesTimer);
      await applying;
      await hostPorts.close();
      void saInf.stop();
      reg.stop();
      rmSync(reader.token, { force: true });
      await Promise.all([...workers.values()].map((w) => w.shutdown(!!o.keepPods)));
      await network.stop(!o.keepPods).catch((e) => log(`stopping the pod network: ${e.message}`));
      await Promise.race([events.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
      events.stop();
      await kubelet.close();
      api.close();
      spawner.stop();
      releaseSpawner(spawner);
    },
  };
}

