/**
 * The sensor's event processing: per dependency transform → filters; per trigger the latest event of each
 * dependency its conditions name; when the conditions hold, the trigger fires (rate limit, parameters,
 * retries, policy, DLQ) and its events are cleared. conditionsReset clears them on a cron schedule.
 * Bus messages are acknowledged once no atLeastOnce trigger still needs them.
 */
import { Cron } from 'croner';
import type { EventRecorder, KubeClient, KubeObject } from '@flotilla/kube-runtime';
import { field, type CloudEvent, type Logger } from '../config.js';
import type { Metrics } from '../metrics.js';
import { filterEvent, checkFilters, FilterError, type EventDependencyFilter } from './filters.js';
import { applyTransform } from './transform.js';
import { condDeps, evalCond, triggerCondition, type Cond } from './conditions.js';
import { applyParams } from './params.js';
import { parseDuration } from '../sources/common.js';
import { PermanentError, type TriggerContext, type TriggerResult } from '../triggers/common.js';
import { runK8s, runArgoWorkflow } from '../triggers/kube.js';
import { runHttp, runLog, runNats, runKafka, UNAVAILABLE_TRIGGERS } from '../triggers/simple.js';
import { resourceOfObject } from '../triggers/common.js';

export interface Dependency {
  name: string;
  eventSourceName: string;
  eventName: string;
  filters?: EventDependencyFilter;
  filtersLogicalOperator?: string;
  transform?: { jq?: string; script?: string };
}

interface Held {
  ev: CloudEvent;
  release(): void;
}

interface TriggerState {
  name: string;
  spec: any;
  cond: Cond;
  deps: Set<string>;
  events: Map<string, Held>;
  atLeastOnce: boolean;
  crons: Cron[];
  nextSlot: number;
}

export interface EngineOptions {
  sensor: KubeObject & { spec?: any };
  namespace: string;
  log: Logger;
  kube: () => KubeClient;
  metrics?: Metrics;
  recorder?: EventRecorder;
  /** the time source for retries (tests) */
  sleep?: (ms: number) => Promise<void>;
}

/** The trigger kinds of a template, and which one it is. */
export const TRIGGER_KINDS = ['k8s', 'argoWorkflow', 'http', 'log', 'nats', 'kafka', ...UNAVAILABLE_TRIGGERS];

export function triggerKind(template: any): string | undefined {
  return TRIGGER_KINDS.find((k) => field(template, k) !== undefined && field(template, k) !== null);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Delay before retry `attempt` (1-based) per retryStrategy {duration, factor, jitter}. */
export function retryDelay(rs: any, attempt: number, rnd = Math.random): number {
  const base = parseDuration(rs?.duration ?? '1s') ?? 1000;
  const factor = Number(rs?.factor ?? 1) || 1;
  let d = base * factor ** (attempt - 1);
  const j = Number(rs?.jitter ?? 0);
  if (j > 0) d += d * j * rnd();
  return d;
}

export class SensorEngine {
  readonly deps = new Map<string, Dependency>();
  readonly triggers: TriggerState[] = [];
  /** dependency → the problem of its filters (found at start or while filtering) */
  readonly filterErrors = new Map<string, string>();
  /** trigger → why it cannot run */
  readonly triggerErrors = new Map<string, string>();
  /** the latest trigger results (at most 1,000), for tests and diagnostics */
  readonly fired: { trigger: string; ok: boolean; message: string }[] = [];
  private readonly sensorName: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: EngineOptions) {
    this.sensorName = o.sensor.metadata?.name ?? 'sensor';
    this.sleep = o.sleep ?? defaultSleep;
    const spec = o.sensor.spec ?? {};
    for (const d of (spec.dependencies ?? []) as Dependency[]) {
      this.deps.set(d.name, d);
      const problems = checkFilters(d.filters);
      if (problems.length) this.filterError(d.name, problems.join('; '));
    }
    for (const t of spec.triggers ?? []) {
      const tpl = t.template ?? {};
      const name: string = tpl.name ?? `trigger-${this.triggers.length}`;
      let cond: Cond;
      try {
        cond = triggerCondition(tpl.conditions, [...this.deps.keys()]);
      } catch (e) {
        this.triggerError(name, (e as Error).message);
        continue;
      }
      const deps = condDeps(cond);
      const unknown = [...deps].filter((d) => !this.deps.has(d));
      if (unknown.length) {
        this.triggerError(name, `conditions name unknown dependencies: ${unknown.join(', ')}`);
        continue;
      }
      if (!triggerKind(tpl)) this.triggerError(name, 'the trigger template names no trigger (k8s, argoWorkflow, http, log, nats, …)');
      const st: TriggerState = { name, spec: t, cond, deps, events: new Map(), atLeastOnce: !!t.atLeastOnce, crons: [], nextSlot: 0 };
      for (const r of tpl.conditionsReset ?? []) {
        if (!r?.byTime?.cron) continue;
        try {
          st.crons.push(new Cron(r.byTime.cron, { timezone: r.byTime.timezone || 'UTC' }, () => this.reset(st)));
        } catch (e) {
          this.o.log('error', `trigger ${name}: conditionsReset cron ${JSON.stringify(r.byTime.cron)}: ${(e as Error).message}`);
        }
      }
      this.triggers.push(st);
    }
  }

  private filterError(dep: string, msg: string) {
    this.filterErrors.set(dep, msg);
    this.o.log('error', `dependency ${dep}: bad filter: ${msg}`, { dependencyName: dep });
    this.o.recorder?.event(this.o.sensor, 'Warning', 'DependencyFilterError', `dependency ${dep}: ${msg}`);
  }

  private triggerError(name: string, msg: string) {
    this.triggerErrors.set(name, msg);
    this.o.log('error', `trigger ${name}: ${msg}`, { triggerName: name });
    this.o.recorder?.event(this.o.sensor, 'Warning', 'TriggerInvalid', `trigger ${name}: ${msg}`);
  }

  /** Clears a trigger's held events (conditionsReset). */
  reset(t: TriggerState) {
    for (const h of t.events.values()) h.release();
    t.events.clear();
    this.o.log('info', `trigger ${t.name}: conditions reset`);
  }

  /** Processes one event of a dependency; `ack` is called when no trigger needs the message any more. */
  async onEvent(depName: string, ev: CloudEvent, ack: () => void = () => {}): Promise<void> {
    const dep = this.deps.get(depName);
    if (!dep) return ack();
    let event = ev;
    try {
      if (dep.transform) event = { ...ev, data: await applyTransform(dep.transform, ev.data) };
      if (!(await filterEvent(dep.filters, event, dep.filtersLogicalOperator))) {
        this.o.log('debug', `dependency ${depName}: event ${ev.id} filtered out`);
        return ack();
      }
    } catch (e) {
      const msg = e instanceof FilterError ? e.message : (e as Error).message;
      if (this.filterErrors.get(depName) !== msg) this.filterError(depName, msg);
      return ack();
    }
    const interested = this.triggers.filter((t) => t.deps.has(depName));
    let refs = interested.filter((t) => t.atLeastOnce).length;
    const release = () => {
      if (--refs === 0) ack();
    };
    if (refs === 0) ack();
    for (const t of interested) {
      const prev = t.events.get(depName);
      if (prev) prev.release();
      t.events.set(depName, { ev: event, release: t.atLeastOnce ? release : () => {} });
      if (evalCond(t.cond, (d) => t.events.has(d))) {
        const held = [...t.events.entries()];
        t.events.clear();
        void this.fire(t, Object.fromEntries(held.map(([d, h]) => [d, h.ev])), held.map(([, h]) => h.release));
      }
    }
  }

  private async rateLimit(t: TriggerState) {
    const rl = t.spec.rateLimit;
    if (!rl?.requestsPerUnit) return;
    const unit = { second: 1000, minute: 60_000, hour: 3_600_000 }[String(rl.unit ?? 'Second').toLowerCase()] ?? 1000;
    const gap = unit / Number(rl.requestsPerUnit);
    const now = Date.now();
    const slot = Math.max(now, t.nextSlot);
    t.nextSlot = slot + gap;
    if (slot > now) await this.sleep(slot - now);
  }

  /** Runs a trigger template once (no retries). */
  async execute(template: any, spec: any, events: Record<string, CloudEvent>): Promise<TriggerResult> {
    const kind = triggerKind(template);
    const ctx: TriggerContext = { namespace: this.o.namespace, sensorName: this.sensorName, triggerName: template.name, log: this.o.log, kube: this.o.kube, events };
    switch (kind) {
      case 'k8s':
        return runK8s(field(template, 'k8s'), ctx);
      case 'argoWorkflow':
        return runArgoWorkflow(field(template, 'argoWorkflow'), ctx);
      case 'http':
        return runHttp(field(template, 'http'), ctx, spec.policy);
      case 'log':
        return runLog(field(template, 'log'), ctx);
      case 'nats':
        return runNats(field(template, 'nats'), ctx);
      case 'kafka':
        return runKafka(field(template, 'kafka'), ctx);
      case undefined:
        throw new PermanentError('the trigger template names no trigger');
      default:
        throw new PermanentError(`the ${kind} trigger is not available in this installation`);
    }
  }

  /** k8s policy: wait (with back-off) until the object carries the policy's labels. */
  private async k8sPolicy(policy: any, obj: KubeObject | undefined): Promise<void> {
    const want: Record<string, string> | undefined = policy?.k8s?.labels;
    if (!want || !obj?.metadata?.name) return;
    const kube = this.o.kube();
    const r = await resourceOfObject(kube, obj);
    const b = policy.k8s.backoff ?? {};
    const steps = Number(b.steps ?? 5);
    for (let i = 0; i < steps; i++) {
      const live = await kube.get(r, obj.metadata.namespace, obj.metadata.name);
      const labels = live.metadata?.labels ?? {};
      if (Object.entries(want).every(([k, v]) => labels[k] === v)) return;
      if (i < steps - 1) await this.sleep(retryDelay(b, i + 1));
    }
    const msg = `${obj.kind} ${obj.metadata.name} did not get the labels ${JSON.stringify(want)} within the policy's back-off`;
    if (policy.k8s.errorOnBackoffTimeout) throw new PermanentError(msg);
    this.o.log('warn', msg);
  }

  private async fire(t: TriggerState, events: Record<string, CloudEvent>, releases: (() => void)[]) {
    const labels = { namespace: this.o.namespace, sensor_name: this.sensorName, trigger_name: t.name };
    const bad = this.triggerErrors.get(t.name);
    const t0 = performance.now();
    try {
      if (bad) throw new PermanentError(bad);
      await this.rateLimit(t);
      const steps = Math.max(1, Number(t.spec.retryStrategy?.steps ?? 1));
      let result: TriggerResult | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          const template = applyParams(structuredClone(t.spec.template), t.spec.parameters, events);
          result = await this.execute(template, t.spec, events);
          await this.k8sPolicy(t.spec.policy, result.object);
          break;
        } catch (e) {
          if (e instanceof PermanentError || attempt >= steps) throw e;
          const d = retryDelay(t.spec.retryStrategy, attempt);
          this.o.log('warn', `trigger ${t.name} failed (attempt ${attempt} of ${steps}, retrying in ${Math.round(d)} ms): ${(e as Error).message}`, { triggerName: t.name });
          await this.sleep(d);
        }
      }
      this.o.metrics?.triggered.inc(labels);
      this.o.metrics?.actionDuration.observe(labels, performance.now() - t0);
      this.o.log('info', `successfully processed trigger ${t.name}: ${result!.message}`, { triggerName: t.name });
      this.o.recorder?.event(this.o.sensor, 'Normal', 'TriggerSucceeded', `trigger ${t.name}: ${result!.message}`);
      this.record({ trigger: t.name, ok: true, message: result!.message });
      for (const r of releases) r();
    } catch (e) {
      const msg = (e as Error).message;
      this.o.metrics?.actionFailed.inc(labels);
      if (t.spec.retryStrategy?.steps > 1) this.o.metrics?.actionRetriesFailed.inc(labels);
      this.o.log('error', `trigger ${t.name} failed: ${msg}`, { triggerName: t.name });
      this.o.recorder?.event(this.o.sensor, 'Warning', 'TriggerFailed', `trigger ${t.name}: ${msg}`);
      this.record({ trigger: t.name, ok: false, message: msg });
      const dlq = t.spec.dlqTrigger;
      if (dlq?.template) {
        try {
          const tpl = applyParams(structuredClone(dlq.template), dlq.parameters, events);
          const r = await this.execute(tpl, dlq, events);
          this.o.log('info', `dlq trigger ${tpl.name ?? ''} of ${t.name}: ${r.message}`, { triggerName: t.name });
          this.o.recorder?.event(this.o.sensor, 'Normal', 'DLQTriggerSucceeded', `dlq trigger of ${t.name}: ${r.message}`);
          this.record({ trigger: `${t.name}/dlq`, ok: true, message: r.message });
          for (const r2 of releases) r2();
          return;
        } catch (e2) {
          this.o.log('error', `dlq trigger of ${t.name} failed: ${(e2 as Error).message}`, { triggerName: t.name });
          this.record({ trigger: `${t.name}/dlq`, ok: false, message: (e2 as Error).message });
        }
      }
      // atLeastOnce: not acknowledged, the bus delivers the event again; otherwise it was acknowledged on arrival
      if (!t.atLeastOnce || e instanceof PermanentError) for (const r of releases) r();
    }
  }

  private record(r: { trigger: string; ok: boolean; message: string }) {
    this.fired.push(r);
    if (this.fired.length > 1000) this.fired.splice(0, this.fired.length - 1000);
  }

  stop() {
    for (const t of this.triggers) for (const c of t.crons) c.stop();
  }
}

/**
 * What the runtime would report about a Sensor before any event: broken filters (per dependency, naming the
 * filter) and invalid triggers (conditions, unknown dependencies, no trigger kind). For a controller's
 * status conditions; pure (no API, no bus).
 */
export function sensorProblems(sensor: KubeObject & { spec?: any }): { dependencies: Record<string, string>; triggers: Record<string, string> } {
  const e = new SensorEngine({ sensor, namespace: sensor.metadata?.namespace ?? 'default', log: () => {}, kube: () => {
    throw new Error('no API');
  } });
  e.stop();
  return { dependencies: Object.fromEntries(e.filterErrors), triggers: Object.fromEntries(e.triggerErrors) };
}
