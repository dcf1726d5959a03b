/**
 * The delivery pipeline of one namespace as one chain — push → EventSource → Sensor → Workflow →
 * Argo CD Application → Rollout — built from the objects the servers already serve (argo-server:
 * EventSources, Sensors, Workflows; argocd-server: Applications and, through the app's resource API,
 * the live Rollouts). Pure, no DOM. How the links are found (nothing demo-specific is assumed):
 * - Sensor → Workflow: the `events.argoproj.io/sensor` label the sensor's k8s trigger puts on what it creates;
 *   the sensors shown are those with a trigger that creates a Workflow (k8s or argoWorkflow trigger);
 * - EventSource → Sensor: the sensor's dependency (`eventSourceName`, `eventName`);
 * - the push: the event data the trigger's parameters copied into the Workflow (`body.after` →
 *   `spec.arguments.parameters.0.value`), read back from the Workflow;
 * - Workflow → Application: an Application deploying into the namespace whose synced revision (or
 *   history, or operation) is a commit the workflow's steps output;
 * - Application → Rollout: the Rollouts among the app's resources; the run's image (a workflow output
 *   equal to a container image) tells whether the Rollout runs this run's build.
 */
import { readiness, type K8sObj } from './events.js';

export const SENSOR_LABEL = 'events.argoproj.io/sensor';
/** the Argo CD proxy extension (argocd-server `/extensions/<name>/…`) that reaches argo-server; `flotilla demo pipeline` configures it */
export const ARGO_EXTENSION = 'argo-workflows';

/** The Application the chain shows for `ns` before any workflow is known: the first deploying into it. */
export function namespaceApplication(apps: any[] | undefined, ns: string): any | undefined {
  return (apps ?? []).find((a) => a?.spec?.destination?.namespace === ns && a?.metadata?.name);
}

/**
 * The path prefix and headers argocd-server's proxy extension wants to forward to argo-server on
 * behalf of `app`: `extensions/argo-workflows/` with `Argocd-Application-Name: <namespace>:<app>`
 * and `Argocd-Project-Name: <project>` (the user must be able to get that app).
 */
export function extensionRequest(app: any, name = ARGO_EXTENSION): { prefix: string; headers: Record<string, string> } {
  return {
    prefix: `extensions/${encodeURIComponent(name)}/`,
    headers: { 'Argocd-Application-Name': `${app.metadata.namespace ?? 'argocd'}:${app.metadata.name}`, 'Argocd-Project-Name': String(app.spec?.project || 'default') },
  };
}
export const TRIGGER_LABEL = 'events.argoproj.io/trigger';

/** ok: done and fine; running: in progress; waiting: not reached yet; failed; unknown: not found; unreachable: its server is not reachable from here */
export type StageState = 'ok' | 'running' | 'waiting' | 'failed' | 'unknown' | 'unreachable';
export type StageId = 'push' | 'eventsource' | 'sensor' | 'workflow' | 'application' | 'rollout';

export interface Stage {
  id: StageId;
  /** what the box is (`git push`, `EventSource`, …) */
  kind: string;
  name: string;
  namespace: string;
  state: StageState;
  /** one line: `Succeeded`, `Synced to 0250b27b`, `Paused, step 1/5, weight 20 %` */
  status: string;
  /** further lines (steps, outputs, message) */
  details: string[];
  /** the UI's route to the object (`workflows/<ns>/<name>`), when it has a page */
  route?: string;
  /** which server serves it */
  server: 'argo-server' | 'argocd-server';
}

export interface Run {
  name: string;
  phase: string;
  created: string;
  /** the event's value the trigger passed in (the pushed commit) */
  event?: string;
}

export interface Chain {
  stages: Stage[];
  /** the label of the link from stage i to stage i+1 */
  links: string[];
  /** the workflows the pipeline's sensor created, newest first */
  runs: Run[];
  run?: string;
}

export interface PipelineInput {
  ns: string;
  /** undefined: argo-server not reachable from this page */
  eventSources?: K8sObj[];
  sensors?: K8sObj[];
  workflows?: any[];
  /** undefined: argocd-server not reachable from this page */
  applications?: any[];
  /** the live Rollouts of the chosen application, by `namespace/name` (undefined: not read yet / not reachable) */
  rollouts?: Record<string, any>;
  /** the workflow to show (default: the newest) */
  run?: string;
  argoServerNote?: string;
  argocdServerNote?: string;
}

const HEX = /^[0-9a-f]{7,40}$/;
const short = (s: string) => (HEX.test(s) ? s.slice(0, 8) : s);
const phaseState = (p: string | undefined): StageState => (p === 'Succeeded' ? 'ok' : p === 'Failed' || p === 'Error' ? 'failed' : p === 'Running' || p === 'Pending' || !p ? 'running' : 'unknown');

/** Whether a sensor has a trigger that creates a Workflow; its name when so. */
export function workflowTrigger(sensor: K8sObj): { name: string; parameters: any[] } | undefined {
  for (const t of (sensor.spec?.triggers ?? []) as any[]) {
    const tpl = t?.template ?? {};
    const k8s = tpl.k8s ?? tpl.argoWorkflow;
    const kind = k8s?.source?.resource?.kind ?? (tpl.argoWorkflow ? 'Workflow' : undefined);
    if (kind === 'Workflow') return { name: String(tpl.name ?? ''), parameters: [...(k8s?.parameters ?? []), ...(t.parameters ?? [])] };
  }
  return undefined;
}

/** `a.b.0.c` of an object. */
function at(o: any, path: string): unknown {
  return path.split('.').reduce((v, k) => (v == null ? undefined : Array.isArray(v) ? v[Number(k)] : v[k]), o);
}

/** The event data the trigger copied into the workflow: `body.after = a6adef20…`. */
export function eventValue(wf: any, trigger: { parameters: any[] } | undefined): { key: string; value: string } | undefined {
  for (const p of trigger?.parameters ?? []) {
    const dest = String(p?.dest ?? '');
    const v = at(wf, dest);
    if (dest && typeof v === 'string') return { key: String(p?.src?.dataKey ?? p?.src?.dataTemplate ?? dest), value: v };
  }
  return undefined;
}

/** Every output parameter of the workflow's steps: `step.name` → value. */
export function workflowOutputs(wf: any): { step: string; name: string; value: string }[] {
  const out: { step: string; name: string; value: string }[] = [];
  for (const n of Object.values(wf?.status?.nodes ?? {}) as any[]) {
    if (n?.type !== 'Pod') continue;
    for (const p of n.outputs?.parameters ?? []) if (typeof p?.value === 'string') out.push({ step: String(n.displayName ?? n.name), name: String(p.name), value: p.value.trim() });
  }
  return out;
}

/** The workflow's step pods as `test Succeeded`, in the order they started. */
function stepLines(wf: any): string[] {
  return (Object.values(wf?.status?.nodes ?? {}) as any[])
    .filter((n) => n?.type === 'Pod')
    .sort((a, b) => String(a.startedAt ?? '').localeCompare(String(b.startedAt ?? '')))
    .map((n) => `${n.displayName ?? n.name}: ${n.phase ?? 'Pending'}`);
}

const revMatch = (a: string | undefined, b: string) => !!a && (a === b || (b.length >= 7 && a.startsWith(b)) || (a.length >= 7 && b.startsWith(a)));

/** The revisions an Application synced or is syncing: the current one first, then its history (newest first). */
function appRevisions(app: any): string[] {
  const st = app?.status ?? {};
  const hist = ((st.history ?? []) as any[]).map((h) => String(h?.revision ?? '')).reverse();
  return [st.sync?.revision, st.operationState?.syncResult?.revision, st.operationState?.operation?.sync?.revision, ...hist].filter((x): x is string => typeof x === 'string' && !!x);
}

/** The canary weight after the steps before `idx` (the last setWeight; 100 past the last step). */
export function canaryWeight(steps: any[], idx: number): number {
  if (steps.length && idx >= steps.length) return 100;
  let w = 0;
  for (const s of steps.slice(0, idx)) if (typeof s?.setWeight === 'number') w = s.setWeight;
  return w;
}

/** A Rollout's state: phase, step i/n, canary weight, image, aborted, fully rolled out. */
export function rolloutState(ro: any): { phase: string; step: string; weight: number; image: string; aborted: boolean; done: boolean; message: string } {
  const st = ro?.status ?? {};
  const steps: any[] = ro?.spec?.strategy?.canary?.steps ?? [];
  const idx: number | undefined = typeof st.currentStepIndex === 'number' ? st.currentStepIndex : undefined;
  const phase = String(st.phase ?? (st.abort ? 'Degraded' : 'Progressing'));
  const done = phase === 'Healthy' && (!st.currentPodHash || st.currentPodHash === st.stableRS);
  const w = st.canary?.weights?.canary?.weight;
  const weight = done ? 100 : st.abort ? 0 : typeof w === 'number' ? w : canaryWeight(steps, idx ?? steps.length);
  return {
    phase,
    step: idx === undefined || !steps.length ? '-' : `${Math.min(idx, steps.length)}/${steps.length}`,
    weight,
    image: String(ro?.spec?.template?.spec?.containers?.[0]?.image ?? ''),
    aborted: !!st.abort,
    done,
    message: String(st.message ?? ''),
  };
}

/** The chain for namespace `ns` from what the servers returned. */
export function buildPipeline(inp: PipelineInput): Chain {
  const { ns } = inp;
  const stages: Stage[] = [];
  const links: string[] = [];
  const unreachable = (id: StageId, kind: string, server: Stage['server'], note?: string): Stage => ({ id, kind, name: '', namespace: ns, state: 'unreachable', status: `${server} not reachable from this page`, details: note ? [note] : [], server });

  // the sensor: one that creates Workflows, preferring the one whose workflows are newest
  const wfs = [...(inp.workflows ?? [])].sort((a, b) => String(b?.metadata?.creationTimestamp ?? '').localeCompare(String(a?.metadata?.creationTimestamp ?? '')));
  const wfSensors = (inp.sensors ?? []).filter((s) => workflowTrigger(s));
  const newestOf = (s: K8sObj) => wfs.find((w) => w?.metadata?.labels?.[SENSOR_LABEL] === s.metadata.name);
  const sensor = [...wfSensors].sort((a, b) => String(newestOf(b)?.metadata?.creationTimestamp ?? '').localeCompare(String(newestOf(a)?.metadata?.creationTimestamp ?? '')))[0];
  const trigger = sensor ? workflowTrigger(sensor) : undefined;
  const triggered = sensor ? wfs.filter((w) => w?.metadata?.labels?.[SENSOR_LABEL] === sensor.metadata.name) : [];
  const runs: Run[] = triggered.map((w) => ({ name: w.metadata.name, phase: w.status?.phase ?? 'Pending', created: String(w.metadata.creationTimestamp ?? ''), event: eventValue(w, trigger)?.value }));
  const wf = (inp.run && triggered.find((w) => w.metadata.name === inp.run)) || triggered[0];
  const ev = wf ? eventValue(wf, trigger) : undefined;
  const dep = ((sensor?.spec?.dependencies ?? []) as any[]).find((d) => !trigger?.parameters.length || trigger.parameters.some((p) => p?.src?.dependencyName === d?.name)) ?? sensor?.spec?.dependencies?.[0];
  const es = (inp.eventSources ?? []).find((e) => e.metadata.name === dep?.eventSourceName);

  if (!inp.sensors) {
    stages.push(unreachable('push', 'event', 'argo-server', inp.argoServerNote), unreachable('eventsource', 'EventSource', 'argo-server'), unreachable('sensor', 'Sensor', 'argo-server'), unreachable('workflow', 'Workflow', 'argo-server'));
    links.push('', '', '');
  } else {
    // the event (a push, when the value is a commit)
    const isCommit = !!ev && HEX.test(ev.value);
    stages.push({
      id: 'push', kind: isCommit ? 'git push' : 'event', name: ev ? short(ev.value) : '', namespace: ns, server: 'argo-server',
      state: wf ? 'ok' : 'waiting', status: ev ? `${isCommit ? 'commit' : ev.key} ${short(ev.value)}` : wf ? 'received' : 'no event yet',
      details: [ev ? `${ev.key} = ${ev.value}` : '', wf ? `at ${wf.metadata.creationTimestamp ?? ''}` : ''].filter(Boolean),
    });
    const evType = es ? Object.keys(es.spec ?? {}).find((k) => es.spec?.[k]?.[dep?.eventName]) : undefined;
    const hook = evType === 'webhook' ? es?.spec?.webhook?.[dep?.eventName] : undefined;
    links.push(hook ? `${hook.method ?? 'POST'} :${hook.port}${hook.endpoint ?? ''}` : dep?.eventName ? `event ${dep.eventName}` : '');
    const esReady = es ? readiness(es) : undefined;
    stages.push({
      id: 'eventsource', kind: 'EventSource', name: es?.metadata.name ?? dep?.eventSourceName ?? '', namespace: ns, server: 'argo-server', route: 'events',
      state: !es ? 'unknown' : esReady!.status === 'Ready' ? 'ok' : esReady!.status === 'NotReady' ? 'failed' : 'running',
      status: !es ? (dep ? 'not found' : 'no sensor depends on one') : esReady!.status,
      details: [evType ? `${evType} event ${dep?.eventName}` : '', esReady?.message ?? ''].filter(Boolean),
    });
    links.push(dep ? `dependency ${dep.name}` : '');
    const sReady = sensor ? readiness(sensor) : undefined;
    stages.push({
      id: 'sensor', kind: 'Sensor', name: sensor?.metadata.name ?? '', namespace: ns, server: 'argo-server', route: 'events',
      state: !sensor ? 'unknown' : sReady!.status === 'Ready' ? 'ok' : sReady!.status === 'NotReady' ? 'failed' : 'running',
      status: !sensor ? 'no sensor creates Workflows here' : sReady!.status,
      details: [trigger ? `trigger ${trigger.name} → Workflow` : '', sReady?.message ?? ''].filter(Boolean),
    });
    links.push(trigger ? `trigger ${trigger.name}` : '');
    const phase = wf?.status?.phase;
    stages.push({
      id: 'workflow', kind: 'Workflow', name: wf?.metadata.name ?? '', namespace: ns, server: 'argo-server', route: wf ? `workflows/${ns}/${wf.metadata.name}` : undefined,
      state: wf ? phaseState(phase) : 'waiting', status: wf ? (phase ?? 'Pending') : 'not triggered yet',
      details: wf ? [...stepLines(wf), ...workflowOutputs(wf).map((o) => `${o.step}.${o.name} = ${short(o.value)}`), wf.status?.message ? `message: ${wf.status.message}` : ''].filter(Boolean) : [],
    });
  }

  // the Application: deploys into ns, preferring one that synced a commit the workflow output
  const outputs = wf ? workflowOutputs(wf) : [];
  const commits = outputs.filter((o) => HEX.test(o.value));
  const apps = (inp.applications ?? []).filter((a) => a?.spec?.destination?.namespace === ns);
  const app = apps.find((a) => commits.some((c) => appRevisions(a).some((r) => revMatch(r, c.value)))) ?? apps[0];
  const deployed = commits.find((c) => app && appRevisions(app).some((r) => revMatch(r, c.value))) ?? commits[commits.length - 1];
  links.push(deployed ? `commit ${short(deployed.value)}` : '');
  let appSynced = false;
  if (!inp.applications) {
    stages.push(unreachable('application', 'Application', 'argocd-server', inp.argocdServerNote), unreachable('rollout', 'Rollout', 'argocd-server'));
    links.push('');
    return { stages, links, runs, run: wf?.metadata?.name };
  }
  if (!app) {
    stages.push({ id: 'application', kind: 'Application', name: '', namespace: '', server: 'argocd-server', state: 'unknown', status: `no Application deploys into ${ns}`, details: [] });
  } else {
    const st = app.status ?? {};
    const op = st.operationState;
    const cur = String(st.sync?.revision ?? '');
    const wfDone = !wf || wf.status?.phase === 'Succeeded';
    let state: StageState;
    let status: string;
    if (deployed && revMatch(cur, deployed.value) && st.sync?.status === 'Synced' && (!op || op.phase === 'Succeeded')) [state, status, appSynced] = ['ok', `Synced to ${short(cur)}`, true];
    else if (op && (op.phase === 'Running' || op.phase === 'Terminating')) [state, status] = ['running', `Syncing to ${short(String(op.operation?.sync?.revision ?? op.syncResult?.revision ?? cur))}`];
    else if (op && (op.phase === 'Failed' || op.phase === 'Error')) [state, status] = ['failed', `Sync ${op.phase}`];
    else if (deployed && appRevisions(app).slice(1).some((r) => revMatch(r, deployed.value))) [state, status, appSynced] = ['ok', `Synced ${short(deployed.value)} (now at ${short(cur)})`, true];
    else if (wf && !wfDone) [state, status] = ['waiting', `waiting for the workflow (at ${short(cur) || '-'})`];
    else if (deployed) [state, status] = ['running', `waiting to sync ${short(deployed.value)} (at ${short(cur) || '-'})`];
    else [state, status, appSynced] = [st.sync?.status === 'Synced' ? 'ok' : 'running', `${st.sync?.status ?? 'Unknown'}${cur ? ` to ${short(cur)}` : ''}`, st.sync?.status === 'Synced'];
    stages.push({
      id: 'application', kind: 'Application', name: app.metadata.name, namespace: app.metadata.namespace ?? '', server: 'argocd-server', route: `applications/${app.metadata.namespace}/${app.metadata.name}`,
      state, status,
      details: [`sync: ${st.sync?.status ?? 'Unknown'}`, `health: ${st.health?.status ?? 'Unknown'}`, op ? `last operation: ${op.phase}${op.message ? ` — ${op.message}` : ''}` : '', app.spec?.source?.repoURL ? `from ${app.spec.source.repoURL}` : ''].filter(Boolean),
    });
  }

  // the Rollout(s) of the app; the run's image decides whether it is this run's rollout
  const roRefs = ((app?.status?.resources ?? []) as any[]).filter((r) => r?.kind === 'Rollout');
  const ref = roRefs[0];
  const live = ref ? inp.rollouts?.[`${ref.namespace ?? ''}/${ref.name}`] : undefined;
  const images = outputs.filter((o) => /[:@]/.test(o.value) && !/\s/.test(o.value)).map((o) => o.value);
  const rs = live ? rolloutState(live) : undefined;
  const runsImage = !!rs && (images.length ? images.includes(rs.image) : !wf || wf.status?.phase === 'Succeeded');
  links.push(rs ? `image ${rs.image}` : images[0] ? `image ${images[0]}` : '');
  if (!ref) {
    stages.push({ id: 'rollout', kind: 'Rollout', name: '', namespace: ns, server: 'argocd-server', state: app ? 'unknown' : 'waiting', status: app ? 'the Application has no Rollout' : 'no Application', details: [] });
  } else if (!rs) {
    stages.push({ id: 'rollout', kind: 'Rollout', name: ref.name, namespace: ref.namespace ?? ns, server: 'argocd-server', route: 'rollouts', state: 'unknown', status: inp.rollouts ? 'not found in the cluster' : 'reading…', details: [] });
  } else {
    let state: StageState;
    let status: string;
    if (!runsImage) [state, status] = [appSynced ? 'running' : 'waiting', images[0] ? `runs ${rs.image}, not this run's ${images[0]}` : `runs ${rs.image} (this run has not built yet)`];
    else if (rs.aborted) [state, status] = ['failed', `Aborted at step ${rs.step}: the stable version keeps serving`];
    else if (rs.done) [state, status] = ['ok', `Healthy, weight 100 %`];
    else if (rs.phase === 'Degraded') [state, status] = ['failed', `Degraded, step ${rs.step}`];
    else [state, status] = ['running', `${rs.phase}, step ${rs.step}, weight ${rs.weight} %`];
    stages.push({
      id: 'rollout', kind: 'Rollout', name: ref.name, namespace: ref.namespace ?? ns, server: 'argocd-server', route: 'rollouts',
      state, status,
      details: [`image: ${rs.image}`, `phase: ${rs.phase}`, `step: ${rs.step}`, `canary weight: ${rs.weight} %`, rs.message ? `message: ${rs.message}` : ''].filter(Boolean),
    });
  }
  return { stages, links, runs, run: wf?.metadata?.name };
}
