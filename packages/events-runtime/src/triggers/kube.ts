/** k8s (create / update / patch / delete any object, liveObject) and argoWorkflow (submit, submit-from, resubmit, resume, retry, suspend, terminate, stop) triggers, through the Kubernetes API. */
import { isNotFound, type KubeObject, type PatchType } from '@flotilla/kube-runtime';
import { applyParams } from '../sensor/params.js';
import { loadSource, resourceOfObject, PermanentError, type TriggerContext, type TriggerResult } from './common.js';

const PATCH_TYPES: Record<string, PatchType> = {
  'application/merge-patch+json': 'merge',
  'application/json-patch+json': 'json',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  merge: 'merge',
  json: 'json',
  strategic: 'strategic',
};

/** Upstream's labels on what a trigger creates: which sensor and trigger made it, and when (ms since the epoch). */
export function labelCreated(obj: KubeObject, ctx: Pick<TriggerContext, 'sensorName' | 'triggerName'>, now = Date.now()): void {
  const m = (obj.metadata ??= {});
  m.labels = { ...(m.labels ?? {}), 'events.argoproj.io/sensor': ctx.sensorName, 'events.argoproj.io/trigger': ctx.triggerName, 'events.argoproj.io/action-timestamp': String(now) };
}

const ident = (o: KubeObject) => `${o.kind} ${o.metadata?.namespace ? o.metadata.namespace + '/' : ''}${o.metadata?.name ?? o.metadata?.generateName ?? ''}`;

/** The object a k8s / argoWorkflow trigger works on: its source with the template's parameters applied. */
export async function triggerObject(spec: any, ctx: TriggerContext): Promise<KubeObject> {
  const obj = applyParams(await loadSource(spec.source, ctx), spec.parameters, ctx.events) as KubeObject;
  obj.metadata ??= {};
  return obj;
}

export async function runK8s(spec: any, ctx: TriggerContext): Promise<TriggerResult> {
  const kube = ctx.kube();
  let obj = await triggerObject(spec, ctx);
  const r = await resourceOfObject(kube, obj);
  const ns = r.namespaced ? obj.metadata!.namespace || ctx.namespace : undefined;
  if (r.namespaced) obj.metadata!.namespace = ns;
  const op = String(spec.operation || 'create').toLowerCase();
  const name = obj.metadata!.name;
  switch (op) {
    case 'create': {
      if (!name && !obj.metadata!.generateName) throw new PermanentError('the resource has neither metadata.name nor metadata.generateName');
      labelCreated(obj, ctx);
      const created = await kube.create(r, ns, obj);
      return { object: created, message: `created ${ident(created)}` };
    }
    case 'update': {
      if (!name) throw new PermanentError('update needs metadata.name');
      let live: KubeObject | undefined;
      try {
        live = await kube.get(r, ns, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      if (!live) {
        const created = await kube.create(r, ns, obj);
        return { object: created, message: `created ${ident(created)} (it did not exist)` };
      }
      if (spec.liveObject) {
        obj = applyParams(structuredClone(live), spec.parameters, ctx.events) as KubeObject;
      } else {
        obj.metadata!.resourceVersion = live.metadata?.resourceVersion;
      }
      const updated = await kube.update(r, obj);
      return { object: updated, message: `updated ${ident(updated)}` };
    }
    case 'patch': {
      if (!name) throw new PermanentError('patch needs metadata.name');
      const type = PATCH_TYPES[spec.patchStrategy || 'application/merge-patch+json'];
      if (!type) throw new PermanentError(`unknown patchStrategy ${spec.patchStrategy}`);
      const body = type === 'json' ? (obj as any).patch ?? obj : obj;
      const patched = await kube.patch(r, ns, name, body, type);
      return { object: patched, message: `patched ${ident(patched)}` };
    }
    case 'delete': {
      if (!name) throw new PermanentError('delete needs metadata.name');
      await kube.delete(r, ns, name, { propagationPolicy: 'Background' });
      return { object: obj, message: `deleted ${ident(obj)}` };
    }
    default:
      throw new PermanentError(`unknown k8s operation ${JSON.stringify(spec.operation)} (create, update, patch or delete)`);
  }
}

const WF = { group: 'argoproj.io', version: 'v1alpha1', kind: 'Workflow' };

/** argoWorkflow: what `argo <operation>` does, as API calls. */
export async function runArgoWorkflow(spec: any, ctx: TriggerContext): Promise<TriggerResult> {
  const kube = ctx.kube();
  const op = String(spec.operation || 'submit').toLowerCase();
  const src = await triggerObject(spec, ctx);
  const ns = src.metadata!.namespace || ctx.namespace;
  const wfr = await kube.resourceFor(WF).catch((e) => {
    throw new Error(`the Workflow resource (argoproj.io/v1alpha1) is not installed: ${(e as Error).message}`);
  });
  if (op === 'submit') {
    if (src.kind && src.kind !== 'Workflow') throw new PermanentError(`submit needs a Workflow (got ${src.kind}); use submit-from for ${src.kind}`);
    src.apiVersion ??= 'argoproj.io/v1alpha1';
    src.kind = 'Workflow';
    src.metadata!.namespace = ns;
    if (!src.metadata!.name && !src.metadata!.generateName) throw new PermanentError('the Workflow has neither metadata.name nor metadata.generateName');
    addArgs(src, spec.args);
    labelCreated(src, ctx);
    const wf = await kube.create(wfr, ns, src);
    return { object: wf, message: `submitted Workflow ${ns}/${wf.metadata?.name}` };
  }
  if (op === 'submit-from') {
    const kind = src.kind;
    if (kind !== 'CronWorkflow' && kind !== 'WorkflowTemplate' && kind !== 'ClusterWorkflowTemplate') throw new PermanentError(`submit-from needs a CronWorkflow, WorkflowTemplate or ClusterWorkflowTemplate (got ${kind})`);
    const name = src.metadata!.name;
    if (!name) throw new PermanentError('submit-from needs the source name');
    let wfSpec: any;
    if (kind === 'CronWorkflow') {
      const cr = await kube.resourceFor({ ...WF, kind: 'CronWorkflow' });
      const cw = (await kube.get(cr, ns, name)) as any;
      wfSpec = cw.spec?.workflowSpec ?? {};
    } else wfSpec = { workflowTemplateRef: { name, clusterScope: kind === 'ClusterWorkflowTemplate' || undefined } };
    const wf: KubeObject = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: `${name}-`, namespace: ns, labels: { [`workflows.argoproj.io/${kind === 'CronWorkflow' ? 'cron-workflow' : kind === 'WorkflowTemplate' ? 'workflow-template' : 'cluster-workflow-template'}`]: name } }, spec: wfSpec } as KubeObject;
    addArgs(wf, spec.args);
    const created = await kube.create(wfr, ns, wf);
    return { object: created, message: `submitted Workflow ${ns}/${created.metadata?.name} from ${kind} ${name}` };
  }
  const name = src.metadata!.name;
  if (!name) throw new PermanentError(`${op} needs the Workflow's metadata.name`);
  switch (op) {
    case 'resubmit': {
      const old = (await kube.get(wfr, ns, name)) as any;
      const wf = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { generateName: `${name}-`, namespace: ns, labels: { ...(old.metadata?.labels ?? {}), 'workflows.argoproj.io/resubmitted-from-workflow': name } }, spec: old.spec } as KubeObject;
      delete (wf.metadata!.labels as any)['workflows.argoproj.io/completed'];
      delete (wf.metadata!.labels as any)['workflows.argoproj.io/phase'];
      const created = await kube.create(wfr, ns, wf);
      return { object: created, message: `resubmitted Workflow ${ns}/${name} as ${created.metadata?.name}` };
    }
    case 'suspend':
      return { object: await kube.patch(wfr, ns, name, { spec: { suspend: true } }), message: `suspended Workflow ${ns}/${name}` };
    case 'resume':
      return { object: await kube.patch(wfr, ns, name, { spec: { suspend: null } }), message: `resumed Workflow ${ns}/${name}` };
    case 'terminate':
      return { object: await kube.patch(wfr, ns, name, { spec: { shutdown: 'Terminate' } }), message: `terminated Workflow ${ns}/${name}` };
    case 'stop':
      return { object: await kube.patch(wfr, ns, name, { spec: { shutdown: 'Stop' } }), message: `stopped Workflow ${ns}/${name}` };
    case 'retry': {
      // what `argo retry` asks of the controller: failed nodes reset, phase Running again
      const wf = (await kube.get(wfr, ns, name)) as any;
      const phase = wf.status?.phase;
      if (phase !== 'Failed' && phase !== 'Error') throw new PermanentError(`Workflow ${ns}/${name} is ${phase ?? 'not finished'}; only Failed or Error workflows can be retried`);
      const nodes: Record<string, any> = {};
      for (const [id, n] of Object.entries<any>(wf.status?.nodes ?? {})) if (n.phase !== 'Failed' && n.phase !== 'Error' && n.type !== 'DAG' && n.type !== 'Steps' && n.type !== 'StepGroup' && n.type !== 'TaskGroup' && id !== wf.metadata.name) nodes[id] = n;
      const labels = { ...(wf.metadata.labels ?? {}) };
      labels['workflows.argoproj.io/completed'] = 'false';
      delete labels['workflows.argoproj.io/phase'];
      const body = { metadata: { labels, resourceVersion: wf.metadata.resourceVersion }, spec: { shutdown: null }, status: { ...wf.status, phase: 'Running', message: '', finishedAt: null, nodes } };
      let updated = (await kube.update(wfr, { ...wf, ...body, metadata: { ...wf.metadata, ...body.metadata } })) as any;
      // upstream's Workflow CRD keeps status in the object; with a status subresource it needs its own write
      if (updated.status?.phase !== 'Running') updated = await kube.update(wfr, { ...updated, status: body.status }, 'status');
      return { object: updated, message: `retried Workflow ${ns}/${name}` };
    }
    default:
      throw new PermanentError(`unknown argoWorkflow operation ${JSON.stringify(spec.operation)}`);
  }
}

/** argoWorkflow `args` (`-p name=value`, `--parameter name=value`, `--generate-name`, `--name`, `-l k=v`, `--entrypoint`, `--serviceaccount`). */
function addArgs(wf: any, args: string[] | undefined): void {
  if (!args?.length) return;
  for (let i = 0; i < args.length; i++) {
    let a = args[i]!;
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const next = () => v ?? args[++i] ?? '';
    switch (a) {
      case '-p':
      case '--parameter': {
        const [k, ...rest] = next().split('=');
        wf.spec ??= {};
        wf.spec.arguments ??= {};
        const ps: any[] = (wf.spec.arguments.parameters ??= []);
        const p = ps.find((x) => x.name === k);
        if (p) p.value = rest.join('=');
        else ps.push({ name: k, value: rest.join('=') });
        break;
      }
      case '--name':
        wf.metadata.name = next();
        delete wf.metadata.generateName;
        break;
      case '--generate-name':
        wf.metadata.generateName = next();
        break;
      case '-l':
      case '--labels':
        for (const kv of next().split(',')) {
          const [k, val] = kv.split('=');
          (wf.metadata.labels ??= {})[k!] = val ?? '';
        }
        break;
      case '--entrypoint':
        (wf.spec ??= {}).entrypoint = next();
        break;
      case '--serviceaccount':
        (wf.spec ??= {}).serviceAccountName = next();
        break;
      default:
        break;
    }
  }
}
