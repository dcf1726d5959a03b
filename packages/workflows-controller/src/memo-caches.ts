// The memoize caches' I/O (memoize.ts is the pure part): a memoized node that just succeeded is saved in its cache
// ConfigMap (created when missing), and what this controller saved is read back before the ConfigMap cache shows it —
// a later step of the same workflow, in the same pass or the next, finds the entry (upstream's TestSQLDBMemoize).
import { isNotFound, R, type Informer, type KubeClient, type KubeObject, type LogLevel } from '@flotilla/kube-runtime';
import { cacheKey, entry, LABEL_CONFIGMAP_TYPE } from './memoize.js';

type Obj = KubeObject & Record<string, any>;

export class MemoCaches {
  /** entries written here that the ConfigMap cache may not show yet (`ns/name` → data), until it does */
  private readonly written = new Map<string, Record<string, string>>();

  constructor(
    private readonly client: KubeClient,
    private readonly configMaps: Informer<Obj>,
    private readonly log: (m: string, level?: LogLevel) => void,
    private readonly failed: () => void,
  ) {}

  /** A cache ConfigMap's data: the cache's, with this controller's own recent writes over it. */
  data(ns: string, name: string): Record<string, string> | undefined {
    const cached = this.configMaps.get(ns, name)?.data as Record<string, string> | undefined;
    const k = `${ns}/${name}`;
    const mine = this.written.get(k);
    if (!mine) return cached;
    for (const [key, v] of Object.entries(mine)) if (cached?.[key] === v) delete mine[key];
    if (!Object.keys(mine).length) {
      this.written.delete(k);
      return cached;
    }
    return { ...(cached ?? {}), ...mine };
  }

  /** The ConfigMaps' data of namespace `ns` given to operate(), with the recent writes over it. */
  overlay(ns: string, configMaps: Record<string, Record<string, string>>): void {
    for (const k of this.written.keys()) if (k.startsWith(`${ns}/`)) configMaps[k.slice(ns.length + 1)] = this.data(ns, k.slice(ns.length + 1)) ?? {};
  }

  /** Stores the outputs of memoized nodes that succeeded in this pass (`nodes`; `wf` as it was before it). */
  async save(ns: string, wf: Obj, nodes: Record<string, any>, now: Date): Promise<void> {
    const before = (wf.status?.nodes ?? {}) as Record<string, any>;
    for (const n of Object.values(nodes)) {
      const m = n.memoizationStatus as { hit?: boolean; key?: string; cacheName?: string } | undefined;
      if (!m || m.hit || !m.cacheName || m.key === undefined || n.phase !== 'Succeeded' || before[n.id]?.phase === 'Succeeded') continue;
      const data = { [cacheKey(m.key)]: entry(n.id, n.outputs, now) };
      try {
        try {
          await this.client.patch(R.configmaps, ns, m.cacheName, { data });
        } catch (e) {
          if (!isNotFound(e)) throw e;
          await this.client.create(R.configmaps, ns, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: m.cacheName, labels: { [LABEL_CONFIGMAP_TYPE]: 'Cache' } }, data } as KubeObject);
        }
        const k = `${ns}/${m.cacheName}`;
        this.written.set(k, { ...(this.written.get(k) ?? {}), ...data });
      } catch (e) {
        this.failed();
        this.log(`${ns}/${wf.metadata!.name}: cannot save memoized outputs of ${n.name} in ConfigMap ${m.cacheName}: ${(e as Error).message}`, 'warn');
      }
    }
  }
}
