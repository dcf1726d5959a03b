/**
 * Telling the cluster whether the event bus is reachable. The runtime records Kubernetes Events on its
 * EventSource / Sensor (`kubectl describe` shows them): a Warning `EventBusUnreachable` naming the bus,
 * its servers and the error (similar failures are combined into one Event whose count grows), and a
 * Normal `EventBusConnected` once connected again. The controller reads them to write the object's
 * `EventBusConnected` condition (docs/events.md). Recording needs `events: create, patch` for the pod's
 * ServiceAccount; without it the failure is logged once and the controller falls back to the pod's
 * readiness (which is false until the bus is connected).
 */
import type { KubeObject } from '@flotilla/kube-runtime';
import type { EventBusConfig, Logger } from '../config.js';

export const REASON_UNREACHABLE = 'EventBusUnreachable';
export const REASON_CONNECTED = 'EventBusConnected';

/** The bus's state as connectBus sees it: each failed connect, the connect, a connection lost and back. */
export interface BusState {
  connected: boolean;
  /** why not (the client's error), when not connected */
  error?: string;
}
export type BusStateListener = (s: BusState) => void;

/** The servers a bus config names (for messages). */
export function busServers(c: EventBusConfig): string {
  return String(c.jetstream?.url ?? c.nats?.url ?? c.kafka?.url ?? '?');
}

/** The Event messages (pure). */
export function busEventMessage(busName: string, servers: string, s: BusState): { type: 'Normal' | 'Warning'; reason: string; message: string } {
  return s.connected
    ? { type: 'Normal', reason: REASON_CONNECTED, message: `connected to EventBus "${busName}" (${servers})` }
    : { type: 'Warning', reason: REASON_UNREACHABLE, message: `EventBus "${busName}" (${servers}) unreachable: ${s.error ?? 'unknown error'}` };
}

export interface EventSink {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/**
 * A listener that records the bus's state changes as Events on `obj`: every failure (the recorder
 * combines repeats of one message into one Event with a count) and the first connect after failures
 * (and the very first connect, so that a controller can tell a pod unready for another reason).
 */
export function busEventReporter(sink: EventSink | undefined, obj: KubeObject, busName: string, config: EventBusConfig, log: Logger): BusStateListener {
  const servers = busServers(config);
  let last: boolean | undefined;
  return (s) => {
    if (!sink) return;
    if (s.connected && last === true) return;
    last = s.connected;
    const e = busEventMessage(busName, servers, s);
    try {
      sink.event(obj, e.type, e.reason, e.message);
    } catch (err) {
      log('debug', `cannot record the Event ${e.reason}: ${(err as Error).message}`);
    }
  };
}

/** The recorder's log: a failure to record (no permission, no API) said once as a warning, then at debug level. */
export function eventsLog(log: Logger): (m: string) => void {
  let warned = false;
  return (m) => {
    if (warned) return log('debug', `Kubernetes Event not recorded: ${m}`);
    warned = true;
    log('warn', `cannot record Kubernetes Events (${m}); the pod's ServiceAccount needs "create" and "patch" on events for them`);
  };
}
