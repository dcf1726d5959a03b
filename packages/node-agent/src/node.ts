/** The Node object and its Lease: registration, status, heartbeats. */
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, totalmem, release, hostname, arch } from 'node:os';
import { ApiError, R, type KubeClient } from '@flotilla/kube-runtime';

export const KUBELET_VERSION = 'v1.31.0-flotilla';

export interface NodeResources {
  cpu: number;
  memory: number;
  'ephemeral-storage': number;
  pods: number;
}

export function hostResources(dataDir: string): NodeResources {
  let disk = 0;
  try {
    const s = statfsSync(dataDir);
    disk = s.blocks * s.bsize;
  } catch {
    disk = 0;
  }
  return { cpu: cpus().length || 1, memory: totalmem(), 'ephemeral-storage': disk, pods: 110 };
}

function readFirst(paths: string[]): string {
  for (const p of paths) {
    try {
      const t = readFileSync(p, 'utf8').trim();
      if (t) return t;
    } catch {
      /* next */
    }
  }
  return '';
}

function osImage(): string {
  const t = readFirst(['/etc/os-release', '/usr/lib/os-release']);
  const m = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(t);
  return m ? m[1] : 'Linux';
}

function goArch(): string {
  const a = arch();
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

function microTime(d = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class NodeRegistration {
  private timers: NodeJS.Timeout[] = [];
  private uid?: string;
  private stopped = false;

  constructor(
    private readonly api: KubeClient,
    readonly name: string,
    private readonly o: { kubeletPort: number; resources: NodeResources; heartbeatSeconds: number; leaseSeconds: number; sandbox: string; log: (m: string) => void },
  ) {}

  private conditions(): any[] {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const c = (type: string, status: string, reason: string, message: string) => ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: this.since });
    return [
      c('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      c('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      c('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      c('Ready', 'True', 'KubeletReady', `kubelet is posting ready status (flotilla node agent, sandbox: ${this.o.sandbox})`),
    ];
  }

  private readonly since = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

  private status(): any {
    const r = this.o.resources;
    const q = {
      cpu: String(r.cpu),
      memory: `${Math.floor(r.memory / 1024)}Ki`,
      pods: String(r.pods),
      'ephemeral-storage': `${Math.floor(r['ephemeral-storage'] / 1024)}Ki`,
    };
    return {
      capacity: q,
      allocatable: q,
      conditions: this.conditions(),
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: this.o.kubeletPort } },
      nodeInfo: {
        machineID: readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id']),
        systemUUID: readFirst(['/sys/class/dmi/id/product_uuid']) || readFirst(['/etc/machine-id']),
        bootID: readFirst(['/proc/sys/kernel/random/boot_id']),
        kernelVersion: release(),
        osImage: osImage(),
        containerRuntimeVersion: `flotilla://${this.o.sandbox}`,
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: goArch(),
      },
    };
  }

  async register(): Promise<void> {
    const labels = {
      'kubernetes.io/hostname': this.name,
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': goArch(),
      'beta.kubernetes.io/os': 'linux',
      'beta.kubernetes.io/arch': goArch(),
      'node.flotilla.dev/sandbox': this.o.sandbox,
    };
    let node: any;
    try {
      node = await this.api.create(R.nodes, undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: this.name, labels, annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'flotilla.dev/host': hostname() } },
        spec: {},
      });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      node = await this.api.patch(R.nodes, undefined, this.name, { metadata: { labels } });
    }
    this.uid = node?.metadata?.uid;
    await this.api.patch(R.nodes, undefined, this.name, { status: this.status() }, 'merge', 'status');
    await this.renewLease();
  }

  private async renewLease(): Promise<void> {
    const spec = { holderIdentity: this.name, leaseDurationSeconds: this.o.leaseSeconds, renewTime: microTime() };
    try {
      await this.api.patch(R.leases, 'kube-node-lease', this.name, { spec });
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      await this.api.create(R.leases, 'kube-node-lease', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: 'kube-node-lease', ...(this.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.uid }] } : {}) },
        spec,
      });
    }
  }

  start(): void {
    const every = (ms: number, f: () => Promise<void>, what: string) => {
      const t = setInterval(() => {
        if (this.stopped) return;
        f().catch((e) => this.o.log(`${what}: ${(e as Error).message}`));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(1, this.o.leaseSeconds / 4) * 1000, () => this.renewLease(), 'lease renewal');
    every(this.o.heartbeatSeconds * 1000, async () => {
      try {
        await this.api.patch(R.nodes, undefined, this.name, { status: this.status() }, 'merge', 'status');
      } catch (e) {
        if (e instanceof ApiError && e.code === 404) await this.register();
        else throw e;
      }
    }, 'node status');
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
  }
}
