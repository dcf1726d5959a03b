/**
 * The controller's Prometheus metrics, named as upstream's argocd-application-controller exports
 * them, in kube-runtime's registry (served on --metrics-port, 8082, next to the runtime's own).
 */
import { createRequire } from 'node:module';
import { enableMetrics } from '@flotilla/kube-runtime';
import type { Application } from '@flotilla/argocd-engine';

type L = Record<string, string>;
export interface ControllerMetrics {
  syncTotal(app: Application, phase: string, server: string): void;
  reconcile(app: Application, server: string, seconds: number): void;
  gitRequest(repo: string, type: string): void;
  kubectl(server: string, command: string, ok: boolean): void;
  setApps(apps: Application[]): void;
  setClusterObjects(server: string, objects: number, kinds: number): void;
}

const noop: ControllerMetrics = { syncTotal() {}, reconcile() {}, gitRequest() {}, kubectl() {}, setApps() {}, setClusterObjects() {} };

export function controllerMetrics(enabled: boolean): ControllerMetrics {
  if (!enabled) return noop;
  const registers = [enableMetrics()];
  const prom = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const c = (name: string, help: string, labelNames: string[]) => new prom.Counter({ name, help, labelNames, registers });
  const g = (name: string, help: string, labelNames: string[]) => new prom.Gauge({ name, help, labelNames, registers });
  const sync = c('argocd_app_sync_total', 'Number of application syncs.', ['namespace', 'name', 'project', 'dest_server', 'phase']);
  const rec = new prom.Histogram({ name: 'argocd_app_reconcile', help: 'Application reconciliation performance in seconds.', labelNames: ['namespace', 'dest_server'], buckets: [0.25, 0.5, 1, 2, 4, 8, 16], registers });
  const git = c('argocd_git_request_total', 'Number of git requests performed by repo server', ['repo', 'request_type']);
  const kc = c('argocd_kubectl_exec_total', 'Number of kubectl executions', ['hostname', 'command']);
  const kcp = c('argocd_kubectl_exec_pending', 'Number of pending kubectl executions', ['hostname', 'command']);
  void kcp;
  const info = g('argocd_app_info', 'Information about application.', ['namespace', 'name', 'project', 'repo', 'dest_server', 'dest_namespace', 'sync_status', 'health_status', 'operation', 'autosync_enabled']);
  const objs = g('argocd_cluster_api_resource_objects', 'Number of k8s resource objects in the cache.', ['server']);
  const kinds = g('argocd_cluster_api_resources', 'Number of monitored kubernetes API resources.', ['server']);
  const host = (s: string) => {
    try {
      return new URL(s).host;
    } catch {
      return s;
    }
  };
  return {
    syncTotal: (a, phase, server) => sync.inc({ namespace: a.metadata?.namespace ?? '', name: a.metadata?.name ?? '', project: a.spec.project, dest_server: server, phase }),
    reconcile: (a, server, s) => rec.observe({ namespace: a.metadata?.namespace ?? '', dest_server: server }, s),
    gitRequest: (repo, type) => git.inc({ repo, request_type: type }),
    kubectl: (server, command, _ok) => kc.inc({ hostname: host(server), command }),
    setApps: (apps) => {
      info.reset();
      for (const a of apps) {
        const l: L = {
          namespace: a.metadata?.namespace ?? '',
          name: a.metadata?.name ?? '',
          project: a.spec?.project ?? '',
          repo: a.spec?.source?.repoURL ?? a.spec?.sources?.[0]?.repoURL ?? '',
          dest_server: a.spec?.destination?.server ?? a.spec?.destination?.name ?? '',
          dest_namespace: a.spec?.destination?.namespace ?? '',
          sync_status: a.status?.sync?.status ?? 'Unknown',
          health_status: a.status?.health?.status ?? 'Unknown',
          operation: a.operation?.sync ? 'sync' : '',
          autosync_enabled: String(!!a.spec?.syncPolicy?.automated),
        };
        info.set(l, 1);
      }
    },
    setClusterObjects: (server, n, k) => {
      objs.set({ server }, n);
      kinds.set({ server }, k);
    },
  };
}
