/**
 * The `EventBusConnected` condition of an EventSource / Sensor (pure): whether its pods reach the event
 * bus, as the controller learns it through the Kubernetes API.
 * - The pods' readiness: the runtime answers /readyz only once connected to the bus (and its events or
 *   subscriptions are started); a connection lost for more than a few seconds makes it unready again.
 * - The Kubernetes Events the runtime records on its object: a Warning `EventBusUnreachable` naming the
 *   bus, its servers and the client's error, and a Normal `EventBusConnected` (events-runtime
 *   bus/report.ts). They tell a bus problem from another reason for being unready, and give the error.
 *   Reading them needs `list` on events; without it (upstream's controller role) the condition says
 *   which pod has not been connected for how long, and that its log has the error.
 * True (reason Connected) when every running pod is ready; False (EventBusUnreachable) when a running
 * pod is unready and its latest bus Event is EventBusUnreachable, or (NotConnected) when it has been
 * unready for longer than `graceMs` with no bus Event to say why; otherwise (pods starting, none
 * running) the previous condition stays, or Unknown when there was none.
 */
import type { AnyObj, Condition } from './util.js';

export const BUS_CONDITION = 'EventBusConnected';
export const REASON_UNREACHABLE = 'EventBusUnreachable';
export const REASON_CONNECTED = 'EventBusConnected';

export interface BusEvent {
  reason: string;
  message: string;
  /** when it last happened (ms) */
  at: number;
}

export interface BusConditionInput {
  /** the object's pods */
  pods: AnyObj[];
  /** the runtime's bus Events on the object; undefined when they cannot be read */
  events?: BusEvent[];
  busName: string;
  previous?: Condition;
  now: number;
  /** how long a running pod may be unready before it counts as not connected, without an Event saying so */
  graceMs?: number;
}

const ms = (t: unknown) => (typeof t === 'string' ? Date.parse(t) : NaN);
const isReady = (p: AnyObj) => (p.status?.conditions ?? []).some((c: AnyObj) => c.type === 'Ready' && c.status === 'True');
const isRunning = (p: AnyObj) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && (p.status?.containerStatuses ?? []).some((c: AnyObj) => c.state?.running);

/** Since when a running pod has been unready (its Ready condition's transition, else its start). */
function unreadySince(p: AnyObj): number {
  const c = (p.status?.conditions ?? []).find((x: AnyObj) => x.type === 'Ready');
  const t = ms(c?.lastTransitionTime);
  if (Number.isFinite(t)) return t;
  const s = ms(p.status?.startTime);
  return Number.isFinite(s) ? s : Date.now();
}

/** Events (core/v1) → the runtime's bus events, by the time they last happened. */
export function busEvents(items: AnyObj[]): BusEvent[] {
  return items
    .filter((e) => e.reason === REASON_UNREACHABLE || e.reason === REASON_CONNECTED)
    .map((e) => ({ reason: e.reason, message: String(e.message ?? ''), at: ms(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp) || 0 }))
    .sort((a, b) => a.at - b.at);
}

/** The condition, and when to look again (while a pod is unready the Events may still change). */
export function busCondition(i: BusConditionInput): { condition: Condition; requeueMs?: number } {
  const grace = i.graceMs ?? 20_000;
  const running = i.pods.filter(isRunning);
  const unready = running.filter((p) => !isReady(p));
  const keep = (fallback: Condition) => ({ condition: i.previous ?? fallback });
  if (!running.length) return keep({ type: BUS_CONDITION, status: 'Unknown', reason: 'NoRunningPod', message: 'no pod is running yet' });
  if (!unready.length) {
    return { condition: { type: BUS_CONDITION, status: 'True', reason: 'Connected', message: `connected to EventBus "${i.busName}"` } };
  }
  // the oldest unready pod, and the latest bus Event recorded since it started
  const pod = unready.sort((a, b) => unreadySince(a) - unreadySince(b))[0]!;
  const since = unreadySince(pod);
  const started = ms(pod.status?.startTime);
  const latest = (i.events ?? []).filter((e) => !Number.isFinite(started) || e.at >= started - 1000).at(-1);
  const podName = pod.metadata?.name;
  if (latest?.reason === REASON_UNREACHABLE) {
    return { condition: { type: BUS_CONDITION, status: 'False', reason: REASON_UNREACHABLE, message: `${latest.message} (pod ${podName} not ready since ${new Date(since).toISOString().replace(/\.\d+Z$/, 'Z')})` }, requeueMs: 5000 };
  }
  if (latest?.reason === REASON_CONNECTED) {
    // connected: the pod is unready for another reason (its events or subscriptions not started yet)
    return { condition: { type: BUS_CONDITION, status: 'True', reason: 'Connected', message: `connected to EventBus "${i.busName}"` }, requeueMs: 5000 };
  }
  if (i.now - since >= grace) {
    const why = i.events === undefined ? 'the controller may not read Events' : 'no EventBusUnreachable Event from the pod';
    return {
      condition: {
        type: BUS_CONDITION,
        status: 'False',
        reason: 'NotConnected',
        message: `pod ${podName} has not been ready since ${new Date(since).toISOString().replace(/\.\d+Z$/, 'Z')}: it is not connected to EventBus "${i.busName}" (its readiness waits for the bus; ${why}: the pod's log names the error)`,
      },
      requeueMs: 5000,
    };
  }
  return { ...keep({ type: BUS_CONDITION, status: 'Unknown', reason: 'Connecting', message: `pod ${podName} is connecting to EventBus "${i.busName}"` }), requeueMs: 5000 };
}
