/**
 * The Kubernetes API backend ("Kubernetes API mode", the default): Argo's custom resources read and written
 * with the kube-runtime client, lifecycle actions as the pure status transforms of @flotilla/workflows-controller
 * written back with optimistic concurrency, logs from the pods' `pods/log`.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeClient, Resource } from '@flotilla/kube-runtime';
import type { Workflow } from '@flotilla/workflows-controller';
// (the node rules alone: the CLI loads the controller's package only when it needs it)
import { checkResumable as sharedCheckResumable, NodeActionError, setNodeValues, stopSuspendNodes, suppliedParameters } from '@flotilla/workflows-controller/node-actions';
import { KINDS, isCompletedPhase, nodeSelector, parsePairs, type Action, type ActionOpts, type Backend, type Kind, type ListQuery, type LogLine, type LogOptions, type SubmitOpts } from './backend.js';
import { CliError } from './session.js';

const res = (kind: Kind): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural: kind, kind: KINDS[kind].kind, namespaced: KINDS[kind].namespaced });
const PODS: Resource = { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true };
const TASK_RESULTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflowtaskresults', kind: 'WorkflowTaskResult', namespaced: true };
const SELF_REVIEWS: Resource = { group: 'authentication.k8s.io', version: 'v1', plural: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The Kubernetes API's error as the CLI reports it (upstream prints the API's message). */
function explain(e: unknown): never {
  const err = e as { code?: number; message?: string; body?: any; status?: { message?: string } };
  const status = typeof err?.code === 'number' ? err.code : undefined;
  // the API's Status message, as client-go reports it: `workflows.argoproj.io "x" not found` (no request line)
  const msg = err?.status?.message ?? err?.body?.message;
  if (msg) throw Object.assign(new CliError(msg), { status });
  throw Object.assign(new CliError(err?.message ?? String(e)), { status });
}

export class KubeBackend implements Backend {
  readonly mode = 'kube' as const;
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    private readonly o: Record<string, any> = {},
  ) {}

  private ns(kind: Kind, ns: string): string | undefined {
    return KINDS[kind].namespaced ? ns || undefined : undefined;
  }

  async create(kind: Kind, ns: string, obj: any, o: { serverDryRun?: boolean } = {}): Promise<any> {
    const body = { ...obj, apiVersion: 'argoproj.io/v1alpha1', kind: KINDS[kind].kind, metadata: { ...obj.metadata } };
    if (KINDS[kind].namespaced) body.metadata.namespace = ns;
    else delete body.metadata.namespace;
    if (this.o.instanceid) body.metadata.labels = { ...body.metadata.labels, 'workflows.argoproj.io/controller-instanceid': this.o.instanceid };
    return this.client.create(res(kind), this.ns(kind, ns), body, o.serverDryRun ? { dryRun: 'All' } : {}).catch(explain);
  }

  async list(kind: Kind, ns: string, q: ListQuery = {}): Promise<any[]> {
    // --chunk-size: pages of that size, all of them
    const out: any[] = [];
    let cont: string | undefined;
    do {
      const l: any = await this.client.list(res(kind), this.ns(kind, ns), { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector, limit: q.limit, continue: cont }).catch(explain);
      out.push(...(l.items ?? []));
      cont = q.limit ? l.metadata?.continue || undefined : undefined;
    } while (cont);
    return out;
  }

  get(kind: Kind, ns: string, name: string): Promise<any> {
    return this.client.get(res(kind), this.ns(kind, ns), name).catch(explain);
  }

  async update(kind: Kind, ns: string, obj: any): Promise<any> {
    const body = { ...obj, apiVersion: 'argoproj.io/v1alpha1', kind: KINDS[kind].kind, metadata: { ...obj.metadata } };
    if (KINDS[kind].namespaced) body.metadata.namespace = ns;
    else delete body.metadata.namespace;
    return this.client.update(res(kind), body).catch(explain);
  }

  async delete(kind: Kind, ns: string, name: string): Promise<void> {
    await this.client.delete(res(kind), this.ns(kind, ns), name, { propagationPolicy: 'Background' }).catch(explain);
  }

  async watchWorkflow(ns: string, name: string, onWf: (wf: Workflow) => boolean | void, signal: AbortSignal): Promise<void> {
    const r = res('workflows');
    let wf = await this.get('workflows', ns, name);
    if (onWf(wf)) return;
    const path = `/apis/argoproj.io/v1alpha1/namespaces/${encodeURIComponent(ns)}/workflows`;
    while (!signal.aborted) {
      let done = false;
      const inner = new AbortController();
      const stop = () => inner.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        await this.client.watch(path, { fieldSelector: `metadata.name=${name}`, resourceVersion: wf.metadata.resourceVersion, allowWatchBookmarks: 'true' }, (ev) => {
          if (ev.type === 'BOOKMARK') {
            wf.metadata.resourceVersion = (ev.object as any).metadata?.resourceVersion ?? wf.metadata.resourceVersion;
            return;
          }
          if (ev.type === 'DELETED') throw new CliError(`workflow ${name} was deleted`);
          if (ev.type === 'ERROR') throw Object.assign(new Error('watch expired'), { gone: true });
          if ((ev.object as any)?.metadata?.name !== name) return;
          wf = ev.object as any;
          if (onWf(wf)) {
            done = true;
            inner.abort();
          }
        }, inner.signal);
      } catch (e) {
        if (e instanceof CliError) throw e;
        // an expired resourceVersion or a dropped stream: start again from the current object
        await sleep(500);
        if (signal.aborted) return;
        wf = await this.get('workflows', ns, name);
        if (onWf(wf)) return;
        continue;
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (done) return;
      // the server ended the stream (timeout): re-read and watch again
      wf = await this.client.get(r, ns, name).catch(explain);
      if (onWf(wf)) return;
    }
  }

  /** read-modify-write with optimistic concurrency */
  private async modify(ns: string, name: string, f: (wf: Workflow) => Workflow): Promise<Workflow> {
    for (let i = 0; ; i++) {
      const wf = await this.get('workflows', ns, name);
      try {
        return (await this.client.update(res('workflows'), f(wf) as any)) as any;
      } catch (e) {
        if ((e as { code?: number }).code === 409 && i < 5) continue;
        explain(e);
      }
    }
  }

  /** The user this kubeconfig acts as (a SelfSubjectReview, as `kubectl auth whoami`); undefined when not answered. */
  private async whoami(): Promise<string | undefined> {
    try {
      const r = await this.client.create<any>(SELF_REVIEWS, undefined, { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } as any);
      return r?.status?.userInfo?.username || undefined;
    } catch {
      return undefined;
    }
  }

  async action(action: Action, ns: string, name: string, o: ActionOpts = {}): Promise<Workflow> {
    const ctl = await import('@flotilla/workflows-controller');
    const select = nodeSelector(o.nodeFieldSelector);
    switch (action) {
      case 'suspend':
        return this.modify(ns, name, (wf) => ctl.suspendWorkflow(wf));
      case 'resume': {
        // who resumed a suspend node goes in its message, as upstream's (`…; Resumed by: map[User:<user>]`)
        const who = await this.whoami();
        return this.modify(ns, name, (wf) => {
          if (!wf.spec.suspend && !Object.values(wf.status?.nodes ?? {}).some((n) => n.type === 'Suspend' && n.phase === 'Running')) throw new CliError(`workflow ${name} is not suspended`);
          checkResumable(wf, select);
          const ids = Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Suspend' && n.phase === 'Running' && (!select || select(n))).map((n) => n.id);
          const out = ctl.resumeWorkflow(wf, { select });
          for (const id of who ? ids : []) {
            const n = out.status?.nodes?.[id];
            if (n) n.message = n.message ? `${n.message}; Resumed by: map[User:${who}]` : `Resumed by: map[User:${who}]`;
          }
          return out;
        });
      }
      case 'stop':
      case 'terminate':
        // `stop --node-field-selector`: only the selected suspend nodes stop (Failed, with --message); the workflow goes on
        if (action === 'stop' && select) return this.modify(ns, name, (wf) => stopNodes(wf, select, o.message));
        return this.modify(ns, name, (wf) => {
          if (isCompletedPhase(wf.status?.phase)) throw new CliError(`cannot shutdown a completed workflow: workflow: "${name}", namespace: "${ns}"`);
          const spec = { ...wf.spec, shutdown: action === 'stop' ? ('Stop' as const) : ('Terminate' as const) };
          if (action === 'stop' && o.message) wf.metadata.annotations = { ...wf.metadata.annotations, 'workflows.argoproj.io/shutdown-message': o.message };
          return { ...wf, spec };
        });
      case 'retry': {
        const params = o.parameters?.length ? parsePairs(o.parameters) : undefined;
        const plan = (wf: Workflow) => {
          try {
            return ctl.retryWorkflow(wf, { restartSuccessful: o.restartSuccessful, select, parameters: params });
          } catch (e) {
            throw new CliError((e as Error).message);
          }
        };
        // the pods of the nodes to rerun go first, and are waited for: a controller that still saw the old
        // pod (same deterministic name) would take its failure for the new attempt's
        const cur: Workflow = await this.get('workflows', ns, name);
        const first = plan(cur);
        const pods = first.podsToDelete;
        await Promise.all(pods.map((p) => this.client.delete(PODS, ns, p, { gracePeriodSeconds: 0 }).catch(() => undefined)));
        // the task results of the nodes that run again (named after the node id) would report the old outputs
        const kept = first.workflow.status?.nodes ?? {};
        const gone = Object.keys(cur.status?.nodes ?? {}).filter((id) => !(id in kept));
        await Promise.all(gone.map((id) => this.client.delete(TASK_RESULTS, ns, id).catch(() => undefined)));
        for (let i = 0; i < 120; i++) {
          const left = await Promise.all(pods.map((p) => this.client.get(PODS, ns, p).then(() => true, () => false)));
          if (!left.some(Boolean)) break;
          await sleep(500);
        }
        return this.modify(ns, name, (wf) => {
          const w = plan(wf).workflow;
          w.metadata = { ...w.metadata, labels: { ...w.metadata.labels, 'workflows.argoproj.io/completed': 'false' } };
          return w;
        });
      }
      case 'set':
        return this.modify(ns, name, (wf) => setNodes(wf, select, o));
      case 'resubmit': {
        const wf: Workflow = await this.get('workflows', ns, name);
        return this.create('workflows', ns, resubmitted(wf, o));
      }
    }
  }

  async submitFrom(kind: Kind, ns: string, name: string, o: SubmitOpts): Promise<Workflow> {
    const src = await this.get(kind, ns, name);
    const wf = workflowFrom(kind, src, o);
    return this.create('workflows', ns, wf, { serverDryRun: o.serverDryRun });
  }

  async cronAction(action: 'suspend' | 'resume', ns: string, name: string): Promise<any> {
    return this.client.patch(res('cronworkflows'), ns, name, { spec: { suspend: action === 'suspend' } }, 'merge').catch(explain);
  }

  async token(): Promise<string | undefined> {
    await this.client.ready();
    return this.client.token;
  }

  // ---------------------------------------------------------------------------------------------- logs

  async logs(ns: string, workflow: string, pod: string | undefined, o: LogOptions, onLine: (l: LogLine) => void, signal: AbortSignal): Promise<void> {
    const grep = o.grep ? new RegExp(o.grep) : undefined;
    const emit = (podName: string, raw: string) => {
      // the API's timestamps (asked for to order the pods' lines) are kept only when the user asked for them
      const m = /^(\S+Z) (.*)$/s.exec(raw);
      const time = m?.[1];
      const text = m ? m[2] : raw;
      if (grep && !grep.test(text)) return;
      onLine({ podName, content: o.timestamps && time ? `${time} ${text}` : text, time });
    };
    const podsOf = async (): Promise<any[]> => {
      if (pod) return [await this.client.get(PODS, ns, pod).catch(explain)];
      const l = await this.client.list(PODS, ns, { labelSelector: [`workflows.argoproj.io/workflow=${workflow}`, o.selector].filter(Boolean).join(',') }).catch(explain);
      return (l.items ?? []).sort((a: any, b: any) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
    };
    if (!o.follow) {
      const pods = await podsOf();
      const lines: { pod: string; raw: string; t: string }[] = [];
      await Promise.all(
        pods.map(async (p) => {
          const text = await this.client
            .logs(ns, p.metadata.name, { container: o.container, tailLines: o.tailLines, sinceSeconds: o.sinceSeconds, timestamps: true, previous: o.previous, ...(o.sinceTime && o.sinceSeconds === undefined ? { sinceTime: o.sinceTime } : {}) } as { container?: string })
            .catch(() => '');
          for (const raw of String(text).split('\n')) if (raw) lines.push({ pod: p.metadata.name, raw, t: raw.split(' ')[0] });
        }),
      );
      lines.sort((a, b) => a.t.localeCompare(b.t));
      for (const l of lines) emit(l.pod, l.raw);
      return;
    }
    // follow: every pod of the workflow, new ones as they appear, until the workflow (or the pod) completes
    const streams = new Map<string, Promise<void>>();
    for (;;) {
      if (signal.aborted) return;
      const pods = await podsOf();
      for (const p of pods) {
        const n = p.metadata.name;
        if (!streams.has(n)) streams.set(n, this.follow(ns, n, o, (raw) => emit(n, raw), signal));
      }
      const wf = pod ? undefined : await this.get('workflows', ns, workflow).catch(() => undefined);
      const finished = pod ? pods.every((p) => ['Succeeded', 'Failed'].includes(p.status?.phase)) : !wf || isCompletedPhase(wf.status?.phase);
      if (finished) {
        await Promise.all(streams.values());
        return;
      }
      await sleep(1000);
    }
  }

  /** Streams one pod's container log (`follow=true`), waiting for the container to start; resolves when it ends. */
  private async follow(ns: string, pod: string, o: LogOptions, onRaw: (raw: string) => void, signal: AbortSignal): Promise<void> {
    const cfg = this.client.config;
    let since = o.sinceSeconds;
    let seen = 0;
    for (let attempt = 0; !signal.aborted; attempt++) {
      const u = this.client.url(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(pod)}/log`, {
        container: o.container,
        follow: 'true',
        timestamps: 'true',
        tailLines: attempt === 0 ? o.tailLines : undefined,
        sinceSeconds: since,
        sinceTime: since === undefined ? o.sinceTime : undefined,
      });
      const headers: Record<string, string> = {};
      const token = cfg.token ?? (await this.token());
      if (token) headers.authorization = `Bearer ${token}`;
      const code = await new Promise<number>((resolve) => {
        const req = (u.protocol === 'http:' ? httpRequest : httpsRequest)(u, { method: 'GET', headers, ca: cfg.ca, cert: cfg.cert, key: cfg.key, rejectUnauthorized: !cfg.insecure, signal }, (resp) => {
          if ((resp.statusCode ?? 0) >= 300) {
            resp.resume();
            resolve(resp.statusCode ?? 0);
            return;
          }
          let buf = '';
          resp.setEncoding('utf8');
          resp.on('data', (d: string) => {
            buf += d;
            let i: number;
            while ((i = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              seen++;
              onRaw(line);
            }
          });
          resp.on('end', () => {
            if (buf) onRaw(buf);
            resolve(200);
          });
          resp.on('error', () => resolve(200));
        });
        req.on('error', () => resolve(0));
        req.end();
      });
      if (code === 200) return;
      // the container has not started yet (400), or the pod is gone (404)
      if (code === 404) return;
      const p: any = await this.client.get(PODS, ns, pod).catch(() => undefined);
      if (!p || (['Succeeded', 'Failed'].includes(p.status?.phase) && seen > 0)) return;
      since = o.sinceSeconds;
      await sleep(1000);
    }
  }
}

/** The Workflow that `argo submit --from kind/name` creates. */
export function workflowFrom(kind: Kind, src: any, o: SubmitOpts): any {
  const name = src.metadata.name;
  const labels: Record<string, string> = {};
  let spec: any;
  if (kind === 'cronworkflows') {
    spec = structuredClone(src.spec.workflowSpec ?? {});
    labels['workflows.argoproj.io/cron-workflow'] = name;
    Object.assign(labels, src.spec.workflowMetadata?.labels ?? {});
  } else {
    spec = { workflowTemplateRef: { name, ...(kind === 'clusterworkflowtemplates' ? { clusterScope: true } : {}) } };
    labels[kind === 'clusterworkflowtemplates' ? 'workflows.argoproj.io/cluster-workflow-template' : 'workflows.argoproj.io/workflow-template'] = name;
  }
  const wf: any = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: `${name}-`, labels }, spec };
  applySubmitOpts(wf, o);
  return wf;
}

/** `argo submit`'s flags applied to a Workflow before it is created. */
export function applySubmitOpts(wf: any, o: SubmitOpts): void {
  wf.metadata ??= {};
  wf.spec ??= {};
  if (o.generateName) {
    wf.metadata.generateName = o.generateName;
    delete wf.metadata.name;
  }
  if (o.name) {
    wf.metadata.name = o.name;
    delete wf.metadata.generateName;
  }
  if (o.labels) wf.metadata.labels = { ...wf.metadata.labels, ...parsePairs(o.labels.split(',').filter(Boolean), 'label') };
  if (o.entryPoint) wf.spec.entrypoint = o.entryPoint;
  if (o.serviceAccount) wf.spec.serviceAccountName = o.serviceAccount;
  if (o.priority !== undefined) wf.spec.priority = o.priority;
  if (o.parameters?.length) {
    const given = parsePairs(o.parameters);
    const params: any[] = [...(wf.spec.arguments?.parameters ?? [])];
    for (const [k, v] of Object.entries(given)) {
      const p = params.find((x) => x.name === k);
      if (p) {
        p.value = v;
        delete p.valueFrom;
      } else params.push({ name: k, value: v });
    }
    wf.spec.arguments = { ...wf.spec.arguments, parameters: params };
  }
}

/** The new Workflow of `argo resubmit`: same spec and labels, a new name; `--memoized` keeps succeeded nodes' results. */
export function resubmitted(wf: Workflow, o: ActionOpts): any {
  const labels = { ...(wf.metadata.labels ?? {}) };
  delete labels['workflows.argoproj.io/completed'];
  delete labels['workflows.argoproj.io/phase'];
  labels['workflows.argoproj.io/resubmitted-from-workflow'] = wf.metadata.name ?? '';
  const out: any = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: wf.metadata.generateName || `${wf.metadata.name}-`, labels, annotations: wf.metadata.annotations },
    spec: structuredClone(wf.spec),
  };
  delete out.spec.shutdown;
  delete out.spec.suspend;
  if (o.parameters?.length) applySubmitOpts(out, { parameters: o.parameters });
  if (o.memoized) {
    if (wf.status?.phase !== 'Failed' && wf.status?.phase !== 'Error') throw new CliError('workflow must be Failed/Error to resubmit in memoized mode');
    const nodes: Record<string, any> = {};
    for (const [id, n] of Object.entries(wf.status?.nodes ?? {})) if (n.phase === 'Succeeded' && n.type === 'Pod') nodes[id] = n;
    out.status = { nodes };
  }
  return out;
}

/** The shared rules' refusals (workflows-controller's node-actions) as the CLI's errors. */
function said<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NodeActionError) throw new CliError(e.message);
    throw e;
  }
}

export { suppliedParameters };

/** A suspend node resumes only with the output parameters it expects (valueFrom.supplied) set or defaulted. */
export function checkResumable(wf: Workflow, select?: (n: any) => boolean): void {
  said(() => sharedCheckResumable(wf, select));
}

/** `argo stop --node-field-selector`: the selected running suspend nodes fail (with the message), as upstream's. */
export function stopNodes(wf: Workflow, select: (n: any) => boolean, message?: string): Workflow {
  return said(() => stopSuspendNodes(wf, select, message));
}

/** `argo node set`: the selected nodes get the phase, message and (suspend nodes) output parameters given. */
export function setNodes(wf: Workflow, select: ((n: any) => boolean) | undefined, o: ActionOpts): Workflow {
  if (!select) throw new CliError('--node-field-selector is required');
  return said(() => setNodeValues(wf, select, { phase: o.phase, message: o.message, outputParameters: o.outputParameters }));
}
