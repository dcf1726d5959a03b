/**
 * Preparing a pod to run: its network (namespace, hosts and resolv.conf), its volumes (and the
 * service account token mounted automatically), and the FIFOs its containers log through.
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { ApiError, R } from '@flotilla/kube-runtime';
import { renderVolume, VolumeError, writeAtomic, type VolumeContext } from './volumes.js';
import { HOST_NAME } from './egress.js';
import { resolvConf } from './services.js';
import { PodCore } from './pod-core.js';
import { AUTO_SA_VOLUME, SA_MOUNT } from './pod-types.js';

export abstract class PodPrepare extends PodCore {
  protected automountWanted(): boolean {
    const spec = this.pod.spec ?? {};
    if (spec.automountServiceAccountToken === false) return false;
    if ((spec.volumes ?? []).some((v: any) => String(v.name).startsWith('kube-api-access-'))) return false;
    const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (all.some((c: any) => (c.volumeMounts ?? []).some((m: any) => posix.normalize(m.mountPath) === SA_MOUNT))) return false;
    return true;
  }

  protected volumeCtx(): VolumeContext {
    return { pod: this.podView(), api: this.ctx.api, caPem: this.ctx.caPem, nodeAllocatable: this.ctx.alloc, tokens: this.tokens };
  }

  /** The pod as containers see it through the downward API (status fields filled in). */
  protected podView(): any {
    return { ...this.pod, status: { ...(this.pod.status ?? {}), podIP: this.ip, podIPs: [{ ip: this.ip }], hostIP: this.ctx.hostIP, hostIPs: [{ ip: this.ctx.hostIP }] } };
  }

  protected async renderVolumes(refresh: boolean): Promise<void> {
    const vctx = this.volumeCtx();
    for (const v of this.pod.spec?.volumes ?? []) {
      if (refresh && !(v.configMap || v.secret || v.downwardAPI || v.projected)) continue;
      const r = await renderVolume(vctx, v, this.ctx.dataDir);
      const dir = join(this.ctx.dataDir, 'volumes', `${this.uid}-${v.name}`);
      if (r.kind === 'files') writeAtomic(dir, r.files);
      else if (r.kind === 'empty') mkdirSync(dir, { recursive: true, mode: 0o777 });
      this.volumeHosts.set(v.name, r.kind === 'dir' ? r.host : dir);
    }
    if (this.autoSA === undefined || (this.autoSA && refresh)) {
      if (this.autoSA === undefined) {
        this.autoSA = false;
        if (this.automountWanted()) {
          const sa = this.pod.spec?.serviceAccountName || this.pod.spec?.serviceAccount || 'default';
          let saObj: any = this.ctx.serviceAccount(this.namespace, sa);
          if (saObj) saObj = { automountServiceAccountToken: saObj.automount };
          else {
            // not seen on the watch (yet): ask
            try {
              saObj = await this.ctx.api.get(R.serviceaccounts, this.namespace, sa);
            } catch (e) {
              if (!(e instanceof ApiError && e.code === 404)) throw e;
            }
          }
          if (saObj && saObj.automountServiceAccountToken !== false) this.autoSA = true;
          else if (!saObj && sa !== 'default') this.ctx.log(`pod ${this.key}: service account "${sa}" not found: no API token mounted`);
        }
      }
      if (this.autoSA) {
        const r = await renderVolume(
          vctx,
          {
            name: AUTO_SA_VOLUME,
            projected: {
              defaultMode: 0o644,
              sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } }],
            },
          },
          this.ctx.dataDir,
        );
        const dir = join(this.ctx.dataDir, 'volumes', `${this.uid}-${AUTO_SA_VOLUME}`);
        if (r.kind === 'files') writeAtomic(dir, r.files);
        this.volumeHosts.set(AUTO_SA_VOLUME, dir);
      }
    }
  }

  protected async prepare(): Promise<void> {
    try {
      // one directory per pod, in a long-lived parent: creating entries inside a directory that
      // was just created is slow on some filesystems, so the per-pod layout is flat
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // (a finished pod that gave its network back, restored by a new agent, gets none again)
      if (this.ownNetwork() && !this.netReleased) {
        await this.ctx.net.setup(this.uid, this.ip);
        if (this.ctx.net.dnsServer && this.pod.spec?.dnsPolicy !== 'Default') writeFileSync(join(this.dir, 'resolv.conf'), resolvConf(this.namespace, this.ctx.net.dnsServer, this.pod));
      }
      this.writeHosts();
      await this.renderVolumes(false);
      await this.makeFifos();
      if (this.removed) return;
      this.prepared = true;
      this.prepareError = undefined;
      this.lastVolumeRefresh = Date.now();
      this.saveState();
      const ads = this.pod.spec?.activeDeadlineSeconds;
      if (typeof ads === 'number' && !this.deadlineTimer) {
        const at = Date.parse(this.startTime) + ads * 1000;
        this.deadlineTimer = setTimeout(() => this.schedule(), Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1)));
      }
    } catch (e) {
      const msg = e instanceof VolumeError ? e.message : `failed to prepare the pod: ${(e as Error).message}`;
      if (msg !== this.prepareError) this.ctx.log(`pod ${this.key}: ${msg}`);
      this.prepareError = msg;
      this.event('Warning', 'FailedMount', msg);
      const delay = Math.min(1000 * 2 ** this.prepareLevel, 30_000);
      this.prepareLevel++;
      this.prepareRetryAt = Date.now() + delay;
      this.wake(this.prepareRetryAt);
    }
  }

  protected writeHosts(): void {
    const spec = this.pod.spec ?? {};
    const hostname = this.hostname();
    const fqdn = spec.subdomain ? `${hostname}.${spec.subdomain}.${this.namespace}.svc.cluster.local` : '';
    const lines = ['# Kubernetes-managed hosts file (flotilla node agent).', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', `${this.ip}\t${fqdn ? `${fqdn}\t` : ''}${hostname}`];
    // the host's loopback, as pods reach it (docs/networking.md)
    const hostAddress = this.ownNetwork() ? this.ctx.net.hostAddress : '127.0.0.1';
    if (hostAddress) lines.push(`${hostAddress}\t${HOST_NAME}`);
    for (const a of spec.hostAliases ?? []) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
    writeFileSync(join(this.dir, 'hosts'), lines.join('\n') + '\n');
  }

  protected async makeFifos(): Promise<void> {
    const need: string[] = [];
    for (const c of this.ctrs) {
      const f = this.fifoPaths(c);
      for (const p of [f.out, f.err]) if (!existsSync(p)) need.push(p);
      // spec.stdin: the FIFO kubectl attach writes the container's stdin to
      if (c.spec.stdin && !existsSync(f.in)) need.push(f.in);
    }
    await this.ctx.fifos.make(need);
  }
}
