/**
 * What every namespace of a real cluster has: the ServiceAccount "default" and the ConfigMap
 * "kube-root-ca.crt" holding the API server's CA bundle (recreated / restored when deleted or edited).
 */
import { ApiError, isAlreadyExists, isNotFound, R } from '@flotilla/kube-runtime';
import { Controller, type ControllerContext, type ReconcileResult } from './controller.js';
import type { Informer } from '@flotilla/kube-runtime';
import { isTerminating, type Obj } from './util.js';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface NamespaceDefaultsOptions {
  /** the CA bundle for kube-root-ca.crt (default: the kubeconfig's cluster CA); no ConfigMap without one */
  caPem?: string;
}

export class NamespaceDefaultsController extends Controller {
  readonly nsInf: Informer<Obj>;
  readonly saInf: Informer<Obj>;
  readonly cmInf: Informer<Obj>;
  private readonly caPem?: string;

  constructor(ctx: ControllerContext, opts: NamespaceDefaultsOptions = {}) {
    super('namespace-defaults-controller', ctx, 2);
    this.caPem = opts.caPem ?? ctx.client.caPem;
    this.nsInf = ctx.informers.for<Obj>(R.namespaces);
    this.saInf = ctx.informers.for<Obj>(R.serviceaccounts, { fieldSelector: 'metadata.name=default' });
    this.cmInf = ctx.informers.for<Obj>(R.configmaps, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
    this.nsInf.on({ add: (o) => this.enqueue(o), update: (_a, b) => this.enqueue(b) });
    this.saInf.on({ delete: (o) => o.metadata?.name === 'default' && this.enqueue(String(o.metadata?.namespace)) });
    this.cmInf.on({
      delete: (o) => o.metadata?.name === ROOT_CA_CONFIGMAP && this.enqueue(String(o.metadata?.namespace)),
      update: (_a, b) => b.metadata?.name === ROOT_CA_CONFIGMAP && this.enqueue(String(b.metadata?.namespace)),
    });
  }

  protected primary(): Informer {
    return this.nsInf as Informer;
  }

  async reconcile(ns: string): Promise<ReconcileResult> {
    if (this.ctx.namespace && ns !== this.ctx.namespace) return;
    const n = this.nsInf.get(undefined, ns);
    if (!n || isTerminating(n) || n.status?.phase === 'Terminating') return;
    const client = this.ctx.client;
    const ignore = (e: unknown) => {
      // the namespace started terminating meanwhile
      if (isAlreadyExists(e) || isNotFound(e) || (e instanceof ApiError && e.code === 403)) return;
      throw e;
    };
    if (!this.saInf.get(ns, 'default')) {
      await client.create(R.serviceaccounts, ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } }).catch(ignore);
    }
    if (this.caPem) {
      const cm = this.cmInf.get(ns, ROOT_CA_CONFIGMAP);
      if (!cm) {
        await client
          .create(R.configmaps, ns, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns, annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
            data: { 'ca.crt': this.caPem },
          })
          .catch(ignore);
      } else if ((cm.data as Record<string, string> | undefined)?.["ca.crt"] !== this.caPem || cm.metadata?.annotations?.['kubernetes.io/description'] !== ROOT_CA_DESCRIPTION) {
        await client.update(R.configmaps, {
          ...cm,
          metadata: { ...cm.metadata, annotations: { ...(cm.metadata?.annotations ?? {}), 'kubernetes.io/description': ROOT_CA_DESCRIPTION } },
          data: { ...(cm.data ?? {}), 'ca.crt': this.caPem },
        });
      }
    }
  }
}
