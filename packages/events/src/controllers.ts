/**
 * The controller-manager's three controllers on @flotilla/kube-runtime (informers + queue +
 * reconcile(key), level-triggered, status written back):
 * - eventbus-controller: EventBus → StatefulSet/Service/ConfigMap/Secrets (eventbus.ts), status
 *   conditions Configured/Deployed and status.config;
 * - eventsource-controller: EventSource → Deployment (+ Service), conditions SourcesProvided/Deployed;
 * - sensor-controller: Sensor → Deployment, conditions DependenciesProvided/TriggersProvided/Deployed.
 * EventSources and Sensors are enqueued again when their EventBus changes (its status.config).
 */
import { Controller, InformerFactory, isNotFound, writeStatus, type EventRecorder, type Informer, type KubeClient, type Predicate, type Resource, R } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { busObjects, busKind, names, type BusConfig, type BusDefaults, type Credentials, newSecretValue, natsSafeSecret } from './eventbus.js';
import { buildDeployment, buildService, deploymentName, serviceName, type Kind } from './workloads.js';
import { countSources, sensorDependencyError, sensorTriggerError, validateEventBus, validateEventSource } from './validate.js';
import { sameStatus, setConditions, type AnyObj, type Condition, GROUP, VERSION } from './util.js';
import { controllerMetrics } from './metrics.js';
import { busCondition, busEvents, type BusEvent } from './busstatus.js';

export const RES = {
  eventbus: { group: GROUP, version: VERSION, plural: 'eventbus', kind: 'EventBus', namespaced: true } as Resource,
  eventsources: { group: GROUP, version: VERSION, plural: 'eventsources', kind: 'EventSource', namespaced: true } as Resource,
  sensors: { group: GROUP, version: VERSION, plural: 'sensors', kind: 'Sensor', namespaced: true } as Resource,
};

export interface ManagerOptions {
  client: KubeClient;
  events: EventRecorder;
  log: (msg: string) => void;
  /** the argo-events image the EventSource/Sensor pods run (ARGO_EVENTS_IMAGE) */
  image: string;
  /** watch only this namespace (--namespaced / --managed-namespace) */
  namespace?: string;
  busDefaults?: BusDefaults;
  workers?: number;
}

/** Updates that change the spec, labels or annotations (not status writes, which would reconcile again for nothing). */
export const specOrMetaChanged: Predicate = {
  update: (a, b) =>
    a.metadata?.generation !== b.metadata?.generation ||
    JSON.stringify(a.metadata?.labels ?? {}) !== JSON.stringify(b.metadata?.labels ?? {}) ||
    JSON.stringify(a.metadata?.annotations ?? {}) !== JSON.stringify(b.metadata?.annotations ?? {}) ||
    !!b.metadata?.deletionTimestamp !== !!a.metadata?.deletionTimestamp,
};

const ctxOf = (o: ManagerOptions, informers: InformerFactory) => ({ client: o.client, informers, log: o.log, events: o.events });
const keyOf = (ns: string, name: string) => `${ns}/${name}`;

function toData(stringData: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

async function applyObj(client: KubeClient, r: Resource, obj: AnyObj): Promise<void> {
  await client.apply(r, obj as KubeObject, { force: true });
}

async function updateStatus(client: KubeClient, r: Resource, obj: AnyObj, status: AnyObj): Promise<void> {
  if (sameStatus(obj.status, status)) return;
  await writeStatus(client, r, obj as KubeObject, status);
}

// ------------------------------------------------------------------------------------ EventBus

export class EventBusController extends Controller {
  readonly inf: Informer;
  constructor(private readonly o: ManagerOptions, informers: InformerFactory) {
    super('eventbus-controller', ctxOf(o, informers), { workers: o.workers ?? 2 });
    this.inf = informers.for(RES.eventbus);
    this.watch(this.inf, [specOrMetaChanged]);
    this.watchOwned(informers.for(R.statefulsets, { labelSelector: 'controller=eventbus-controller' }), 'EventBus');
  }
  protected primary(): Informer {
    return this.inf;
  }

  /** The credentials in the bus's server Secret, or new ones. */
  private async credentials(bus: AnyObj): Promise<Credentials> {
    const kind = busKind(bus.spec);
    const ns = bus.metadata.namespace;
    const secretName = kind === 'jetstream' ? names.jsServerSecret(bus.metadata.name) : names.stanServerSecret(bus.metadata.name);
    let data: Record<string, string> = {};
    try {
      const s = (await this.o.client.get(R.secrets, ns, secretName)) as AnyObj;
      data = Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    // a value nats-server cannot read as a string (an older controller's hex starting with digits) is replaced
    return { token: natsSafeSecret(data.token) ? data.token : newSecretValue(), user: natsSafeSecret(data.username) ? data.username : `u${newSecretValue(6)}`, password: natsSafeSecret(data.password) ? data.password : newSecretValue() };
  }

  async reconcile(key: string) {
    const [ns, name] = key.split('/');
    const bus = this.inf.get(ns, name) as AnyObj | undefined;
    if (!bus || bus.metadata.deletionTimestamp) return;
    const err = validateEventBus(bus);
    if (err) {
      const status = { ...(bus.status ?? {}), conditions: setConditions(bus.status?.conditions, [{ type: 'Configured', status: 'False', reason: 'InvalidSpec', message: err }]) };
      if (!bus.status?.conditions?.some((c: Condition) => c.type === 'Configured' && c.status === 'False' && c.message === err)) this.events.event(bus as KubeObject, 'Warning', 'InvalidEventBus', err);
      await updateStatus(this.o.client, RES.eventbus, bus, status);
      return;
    }
    const objs = busObjects(bus, busKind(bus.spec) === 'native' || busKind(bus.spec) === 'jetstream' ? await this.credentials(bus) : {}, this.o.busDefaults);
    for (const s of objs.secrets) {
      const { stringData, ...rest } = s;
      await applyObj(this.o.client, R.secrets, { ...rest, data: toData(stringData) });
    }
    if (objs.configMap) await applyObj(this.o.client, R.configmaps, objs.configMap);
    if (objs.service) await applyObj(this.o.client, R.services, objs.service);
    let deployed: Condition = { type: 'Deployed', status: 'True', reason: 'Succeeded', message: objs.deployedMessage };
    if (objs.statefulSet) {
      await applyObj(this.o.client, R.statefulsets, objs.statefulSet);
      const sts = (await this.o.client.get(R.statefulsets, ns, objs.statefulSet.metadata.name)) as AnyObj;
      const ready = sts.status?.readyReplicas ?? 0;
      const want = objs.statefulSet.spec.replicas;
      if (ready < want) deployed = { ...deployed, message: `${objs.deployedMessage} (${ready}/${want} servers ready)` };
    }
    const status: AnyObj = {
      ...(bus.status ?? {}),
      conditions: setConditions(bus.status?.conditions, [{ type: 'Configured', status: 'True', reason: 'Succeeded' }, deployed]),
      config: objs.config,
    };
    if (!bus.status?.conditions?.some((c: Condition) => c.type === 'Deployed' && c.status === 'True')) this.events.event(bus as KubeObject, 'Normal', 'Deployed', objs.deployedMessage);
    await updateStatus(this.o.client, RES.eventbus, bus, status);
    controllerMetrics().reconciled.inc({ kind: 'EventBus' });
    return deployed.message !== objs.deployedMessage ? { requeueAfter: 5000 } : undefined;
  }
}

// ---------------------------------------------------------------------- EventSource and Sensor

/** The bus an EventSource/Sensor uses: its config, or why there is none yet. */
export function busFor(bus: AnyObj | undefined, busName: string): { config?: BusConfig; error?: string } {
  if (!bus) return { error: `EventBus "${busName}" not found` };
  const cfg = bus.status?.config as BusConfig | undefined;
  if (!cfg || (!cfg.nats && !cfg.jetstream && !cfg.kafka)) return { error: `EventBus "${busName}" is not configured yet` };
  return { config: cfg };
}

abstract class WorkloadController extends Controller {
  readonly inf: Informer;
  readonly busInf: Informer;
  readonly podInf: Informer;
  /** when the API last refused to list Events (upstream's role may only create them): asked again after 5 min */
  private eventsForbiddenAt = 0;
  constructor(
    name: string,
    protected readonly o: ManagerOptions,
    informers: InformerFactory,
    protected readonly kind: Kind,
    protected readonly res: Resource,
  ) {
    super(name, ctxOf(o, informers), { workers: o.workers ?? 4 });
    this.inf = informers.for(res);
    this.busInf = informers.for(RES.eventbus);
    this.watch(this.inf, [specOrMetaChanged]);
    this.watchOwned(informers.for(R.deployments, { labelSelector: `controller=${name}` }), kind);
    // the pods' readiness tells whether they reach the bus (the EventBusConnected condition)
    this.podInf = informers.for(R.pods, { labelSelector: `controller=${name}` });
    this.watch(this.podInf, [], (p) => (p.metadata?.labels?.['owner-name'] ? [keyOf(p.metadata.namespace!, p.metadata.labels['owner-name'])] : []));
    // a bus change (its status.config) concerns every object of the namespace using it
    this.watch(this.busInf, [], (b) => this.inf.list(b.metadata?.namespace).filter((x: AnyObj) => (x.spec?.eventBusName || 'default') === b.metadata?.name).map((x: AnyObj) => keyOf(x.metadata.namespace, x.metadata.name)));
  }
  protected primary(): Informer {
    return this.inf;
  }

  /** The EventBusConnected condition, from the pods' readiness and the runtime's bus Events (busstatus.ts). */
  private async busConnected(obj: AnyObj, busName: string) {
    const ns = obj.metadata.namespace;
    const pods = this.podInf.list(ns).filter((p: AnyObj) => p.metadata?.labels?.['owner-name'] === obj.metadata.name);
    const previous = obj.status?.conditions?.find((c: Condition) => c.type === 'EventBusConnected');
    let events: BusEvent[] | undefined;
    const unready = pods.some((p: AnyObj) => p.status?.phase === 'Running' && !(p.status?.conditions ?? []).some((c: AnyObj) => c.type === 'Ready' && c.status === 'True'));
    if (unready && Date.now() - this.eventsForbiddenAt > 300_000) {
      try {
        events = busEvents((await this.o.client.list(R.events, ns, { fieldSelector: `involvedObject.uid=${obj.metadata.uid}` })).items as AnyObj[]);
      } catch (e) {
        if ((e as { code?: number }).code === 403) {
          this.eventsForbiddenAt = Date.now();
          this.o.log(`${this.kind} ${ns}/${obj.metadata.name}: cannot read Events (${(e as Error).message}); EventBusConnected comes from the pods' readiness alone`);
        }
      }
    }
    return busCondition({ pods, events, busName, previous, now: Date.now() });
  }

  /** Conditions about the spec (SourcesProvided, or DependenciesProvided + TriggersProvided) and whether it is valid. */
  protected abstract specConditions(obj: AnyObj): { conditions: Condition[]; error?: string } | Promise<{ conditions: Condition[]; error?: string }>;

  protected async extra(_obj: AnyObj): Promise<void> {}

  async reconcile(key: string) {
    const [ns, name] = key.split('/');
    const obj = this.inf.get(ns, name) as AnyObj | undefined;
    if (!obj || obj.metadata.deletionTimestamp) return;
    const { conditions, error } = await this.specConditions(obj);
    const busName = obj.spec?.eventBusName || 'default';
    let deployed: Condition;
    let requeue: number | undefined;
    if (error) {
      deployed = { type: 'Deployed', status: 'False', reason: 'InvalidSpec', message: error };
    } else {
      const busObj = this.busInf.get(ns, busName) as AnyObj | undefined;
      const bus = busFor(busObj, busName);
      // a bus that exists but is not configured yet (e.g. at start, before its own reconcile): its
      // status change enqueues this object again; nothing to report until it has had its chance
      if (!bus.config && busObj && !busObj.status?.conditions?.length) return { requeueAfter: 5000 };
      if (!bus.config) {
        deployed = { type: 'Deployed', status: 'False', reason: 'EventBusNotFound', message: bus.error };
        requeue = 10_000;
      } else {
        const dep = buildDeployment({ obj, kind: this.kind, bus: bus.config, image: this.o.image });
        await applyObj(this.o.client, R.deployments, dep);
        await this.extra(obj);
        deployed = { type: 'Deployed', status: 'True', reason: 'Succeeded', message: `Deployment ${dep.metadata.name} is deployed` };
        const bc = await this.busConnected(obj, busName);
        conditions.push(bc.condition);
        requeue = bc.requeueMs;
      }
    }
    const was = obj.status?.conditions?.find((c: Condition) => c.type === 'Deployed');
    if (!was || was.status !== deployed.status || was.message !== deployed.message) {
      this.events.event(obj as KubeObject, deployed.status === 'True' ? 'Normal' : 'Warning', deployed.status === 'True' ? 'Deployed' : deployed.reason!, deployed.message!);
    }
    await updateStatus(this.o.client, this.res, obj, { ...(obj.status ?? {}), conditions: setConditions(obj.status?.conditions, [...conditions, deployed]) });
    controllerMetrics().reconciled.inc({ kind: this.kind });
    return requeue ? { requeueAfter: requeue } : undefined;
  }
}

export class EventSourceController extends WorkloadController {
  constructor(o: ManagerOptions, informers: InformerFactory) {
    super('eventsource-controller', o, informers, 'EventSource', RES.eventsources);
    this.watchOwned(informers.for(R.services, { labelSelector: 'controller=eventsource-controller' }), 'EventSource');
  }
  protected specConditions(es: AnyObj) {
    const err = validateEventSource(es);
    const n = countSources(es);
    const sources: Condition = err
      ? { type: 'SourcesProvided', status: 'False', reason: 'InvalidEventSource', message: err }
      : { type: 'SourcesProvided', status: 'True', reason: 'Succeeded', message: `${n} event source${n === 1 ? '' : 's'}` };
    return { conditions: [sources], error: err };
  }
  /** The Service when spec.service is set; none otherwise. */
  protected override async extra(es: AnyObj): Promise<void> {
    const svc = buildService(es);
    if (svc) await applyObj(this.o.client, R.services, svc);
    else {
      try {
        const cur = (await this.o.client.get(R.services, es.metadata.namespace, serviceName(es.metadata.name))) as AnyObj;
        if (cur.metadata?.ownerReferences?.some((r: AnyObj) => r.uid === es.metadata.uid)) await this.o.client.delete(R.services, es.metadata.namespace, serviceName(es.metadata.name));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }
}

export class SensorController extends WorkloadController {
  constructor(o: ManagerOptions, informers: InformerFactory) {
    super('sensor-controller', o, informers, 'Sensor', RES.sensors);
  }
  protected async specConditions(sn: AnyObj) {
    const depErr = sensorDependencyError(sn);
    const trgErr = sensorTriggerError(sn);
    let deps: Condition = depErr
      ? { type: 'DependenciesProvided', status: 'False', reason: 'InvalidDependencies', message: depErr }
      : { type: 'DependenciesProvided', status: 'True', reason: 'Succeeded' };
    let trg: Condition = trgErr ? { type: 'TriggersProvided', status: 'False', reason: 'InvalidTriggers', message: trgErr } : { type: 'TriggersProvided', status: 'True', reason: 'Succeeded' };
    if (!depErr && !trgErr) {
      // what the sensor runtime would find (a filter's bad regex, expression, script, path): shown as
      // conditions naming the dependency and filter; the Sensor still runs its other dependencies
      const p = await runtimeProblems(sn);
      const bad = Object.entries(p?.dependencies ?? {});
      if (bad.length) deps = { type: 'DependenciesProvided', status: 'False', reason: 'InvalidFilter', message: bad.map(([d, m]) => `dependency "${d}": ${m}`).join('; ') };
      const badT = Object.entries(p?.triggers ?? {});
      if (badT.length) trg = { type: 'TriggersProvided', status: 'False', reason: 'InvalidTrigger', message: badT.map(([t, m]) => `trigger "${t}": ${m}`).join('; ') };
    }
    return { conditions: [deps, trg], error: depErr ?? trgErr };
  }
}

export { deploymentName };

type Problems = { dependencies: Record<string, string>; triggers: Record<string, string> };
let problemsFn: Promise<((sensor: AnyObj) => Problems) | undefined> | undefined;
/** The sensor runtime's own check (`sensorProblems` of @flotilla/events-runtime, loaded on first use as main.ts loads the runtime). */
async function runtimeProblems(sn: AnyObj): Promise<Problems | undefined> {
  problemsFn ??= import('@flotilla/events-runtime' as string).then(
    (m: { sensorProblems?: (s: AnyObj) => Problems }) => m.sensorProblems,
    () => undefined,
  );
  const fn = await problemsFn;
  try {
    return fn?.(structuredClone({ metadata: sn.metadata, spec: sn.spec }));
  } catch {
    return undefined;
  }
}

/** The three controllers on one informer factory. */
export class ControllerManager {
  readonly informers: InformerFactory;
  readonly controllers: Controller[];
  constructor(readonly o: ManagerOptions) {
    this.informers = new InformerFactory(o.client, { namespace: o.namespace, log: o.log });
    this.controllers = [new EventBusController(o, this.informers), new EventSourceController(o, this.informers), new SensorController(o, this.informers)];
  }
  async start(): Promise<void> {
    this.informers.start();
    await Promise.all(this.controllers.map((c) => c.start()));
  }
  synced(): boolean {
    return [RES.eventbus, RES.eventsources, RES.sensors].every((r) => this.informers.for(r).hasSynced);
  }
  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    await this.informers.stop();
  }
}
