/**
 * `argo-events eventsource-service`: runs every event of the EventSource in EVENTSOURCE_OBJECT and publishes
 * each occurrence on the event bus (EVENTBUS_CONFIG) as a CloudEvent. Metrics and /healthz on :7777.
 */
import { randomUUID } from 'node:crypto';
import { EventRecorder, KubeClient, LeaderElector, R, isNotFound } from '@flotilla/kube-runtime';
import { evaluate } from '@flotilla/expr';
import { decodeEnvObject, makeLogger, ConfigError, type CloudEvent, type EventBusConfig, type Logger } from './config.js';
import { connectBus, type Bus } from './bus/index.js';
import { busEventReporter, eventsLog } from './bus/report.js';
import { Metrics } from './metrics.js';
import type { Source, SourceContext, SourceStarter } from './sources/common.js';
import { startWebhook, startGithub, startGitlab, startBitbucket } from './sources/webhook.js';
import { startCalendar } from './sources/calendar.js';
import { startResource } from './sources/resource.js';
import { startFile } from './sources/file.js';
import { startNats, startRedis, startRedisStream, startAmqp, startMqtt, startKafka } from './sources/brokers.js';

/** spec key → CloudEvent type and starter. */
export const SOURCES: Record<string, { type: string; start: SourceStarter }> = {
  webhook: { type: 'webhook', start: startWebhook },
  calendar: { type: 'calendar', start: startCalendar },
  resource: { type: 'resource', start: startResource },
  file: { type: 'file', start: startFile },
  nats: { type: 'nats', start: startNats },
  redis: { type: 'redis', start: startRedis },
  redisStream: { type: 'redisStream', start: startRedisStream },
  amqp: { type: 'amqp', start: startAmqp },
  mqtt: { type: 'mqtt', start: startMqtt },
  kafka: { type: 'kafka', start: startKafka },
  github: { type: 'github', start: startGithub },
  gitlab: { type: 'gitlab', start: startGitlab },
  bitbucket: { type: 'bitbucket', start: startBitbucket },
  bitbucketserver: { type: 'bitbucketserver', start: startBitbucket },
};

/** Source kinds upstream has that this installation cannot reach (cloud services, servers not provided here). */
export const NOT_AVAILABLE = ['sns', 'sqs', 'pubSub', 'azureEventsHub', 'azureQueueStorage', 'azureServiceBus', 'minio', 'emitter', 'hdfs', 'nsq', 'pulsar', 'slack', 'storageGrid', 'stripe', 'gerrit', 'sftp', 'generic'];

/** Sources whose start needs a server: a failed start is retried with back-off. */
export const RETRIED = new Set(['nats', 'redis', 'redisStream', 'amqp', 'mqtt', 'kafka', 'resource']);

/** Receivers: every replica serves them (no leader election). */
export const LEADERLESS = new Set(['webhook', 'github', 'gitlab', 'bitbucket', 'bitbucketserver']);

/** Non-event keys of an EventSource spec. */
const NON_EVENT_KEYS = new Set(['template', 'service', 'eventBusName', 'replicas']);

export interface EventSourceService {
  bus: Bus;
  metrics: Metrics;
  metricsPort?: number;
  running: string[];
  errors: Record<string, string>;
  stop(): Promise<void>;
}

/** Evaluates filter.expression on the event data (an error counts as "filtered out" and is logged). */
export function passesFilter(expression: string | undefined, data: unknown, log?: Logger): boolean {
  if (!expression) return true;
  try {
    return evaluate(expression, (data && typeof data === 'object' ? data : { data }) as Record<string, unknown>) === true;
  } catch (e) {
    log?.('warn', `filter.expression ${JSON.stringify(expression)} failed: ${(e as Error).message}`);
    return false;
  }
}

export async function startEventSourceService(env: NodeJS.ProcessEnv = process.env, signal: AbortSignal = new AbortController().signal): Promise<EventSourceService> {
  const es = decodeEnvObject<any>('EVENTSOURCE_OBJECT', env);
  const busConfig = decodeEnvObject<EventBusConfig>('EVENTBUS_CONFIG', env);
  const name: string = es.metadata?.name;
  const namespace: string = env.EVENTSOURCE_NAMESPACE || es.metadata?.namespace || 'default';
  // an EventSource even when its type fields were left out (as Go clients often send it)
  es.apiVersion ??= 'argoproj.io/v1alpha1';
  es.kind ??= 'EventSource';
  if (!name) throw new ConfigError('EVENTSOURCE_OBJECT has no metadata.name');
  const log = makeLogger({ eventSourceName: name, namespace });
  const metrics = new Metrics();
  let bus: Bus | undefined;
  let started = false;
  // ready (/readyz, /healthz) once connected to the bus and every event has been started
  const metricsPort = await metrics.serve(env.METRICS_PORT !== undefined ? Number(env.METRICS_PORT) : 7777, () => started && !!bus?.connected);
  if (metricsPort === undefined) log('warn', 'metrics: could not listen; /metrics is off');
  let kube: KubeClient | undefined;
  const kubeOf = () => (kube ??= new KubeClient(env.KUBECONFIG || undefined, { fieldManager: 'argo-events-eventsource', qps: 50, burst: 100 }));
  // the bus's state as Kubernetes Events on the EventSource (the controller's EventBusConnected condition reads them)
  let recorder: EventRecorder | undefined;
  try {
    recorder = env.EVENTSOURCE_EVENTS === 'false' ? undefined : new EventRecorder(kubeOf(), { component: 'eventsource', host: env.POD_NAME, log: eventsLog(log) });
  } catch (e) {
    log('warn', `no Kubernetes API (${(e as Error).message}): the event bus's state is not recorded as Kubernetes Events`);
  }
  const onState = busEventReporter(recorder, { ...es, metadata: { ...es.metadata, namespace } }, es.spec?.eventBusName || 'default', busConfig, log);
  bus = await connectBus({ config: busConfig, subject: env.EVENT_BUS_SUBJECT || `eventbus-${namespace}`, log, name: env.POD_NAME || `eventsource-${name}`, env, signal, namespace, kube: kubeOf, publisher: true, onState });
  const b = bus;
  const sources: Source[] = [];
  const leaderSources: Source[] = [];
  let stopped = false;
  const running: string[] = [];
  const errors: Record<string, string> = {};
  const replicas = Number(es.spec?.replicas ?? 1);
  const startEvents = async (which: (key: string) => boolean, into: Source[]) => {
  for (const [key, events] of Object.entries<any>(es.spec ?? {})) {
    if (NON_EVENT_KEYS.has(key) || !events || typeof events !== 'object' || !which(key)) continue;
    const def = SOURCES[key] ?? Object.entries(SOURCES).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    for (const [eventName, spec] of Object.entries<any>(events)) {
      if (!def) {
        const why = NOT_AVAILABLE.some((k) => k.toLowerCase() === key.toLowerCase()) ? `event source type ${key} is not available in this installation` : `unknown event source type ${key}`;
        errors[`${key}/${eventName}`] = why;
        log('error', why, { eventName });
        continue;
      }
      const labels = { namespace, event_source_name: name, event_name: eventName };
      const ctx: SourceContext = {
        namespace,
        eventSourceName: name,
        type: def.type,
        eventName,
        log,
        signal,
        kube: kubeOf,
        failed: () => metrics.processingFailed.inc(labels),
        async emit(data) {
          const t0 = performance.now();
          if (!passesFilter(spec?.filter?.expression, data, log)) return false;
          const ev: CloudEvent = { specversion: '1.0', id: randomUUID().replace(/-/g, ''), source: name, type: def.type, subject: eventName, time: new Date().toISOString(), datacontenttype: 'application/json', data };
          try {
            await b.publish(ev);
          } catch (e) {
            metrics.sentFailed.inc(labels);
            throw e;
          }
          metrics.sent.inc(labels);
          metrics.processingDuration.observe(labels, performance.now() - t0);
          log('info', 'succeeded to publish an event', { eventName, eventType: def.type, id: ev.id });
          return true;
        },
      };
      const id = `${key}/${eventName}`;
      const attempt = async (): Promise<boolean> => {
        try {
          into.push(await def.start(ctx, spec ?? {}));
          delete errors[id];
          running.push(id);
          metrics.running.inc({ namespace, event_source_name: name });
          log('info', `started ${key} event ${eventName}`);
          return true;
        } catch (e) {
          errors[id] = (e as Error).message;
          log('error', `failed to start ${key} event ${eventName}: ${(e as Error).message}`, { eventName });
          return false;
        }
      };
      if (!(await attempt()) && RETRIED.has(def.type)) {
        // a server that is not reachable yet: keep trying with back-off (upstream's connectionBackoff)
        void (async () => {
          for (let wait = 1000; !signal.aborted && !stopped; wait = Math.min(wait * 2, 30_000)) {
            log('info', `retrying ${key} event ${eventName} in ${wait} ms`, { eventName });
            await new Promise((r) => setTimeout(r, wait));
            if (signal.aborted || stopped) return;
            if (await attempt()) return;
          }
        })();
      }
    }
  }
  };
  // with replicas > 1, the receivers (webhook-like) run in every replica; the others only in the leader (a Lease)
  let elector: LeaderElector | undefined;
  // leader election needs leases in the namespace: without permission (or an API), every replica runs every event
  let canElect = false;
  if (replicas > 1) {
    try {
      await kubeOf().get(R.leases, namespace, `${name}-eventsource`);
      canElect = true;
    } catch (e) {
      canElect = isNotFound(e);
      if (!canElect) log('warn', `leader election is off (every replica runs every event): cannot read leases: ${(e as Error).message}`);
    }
  }
  if (canElect) {
    await startEvents((k) => LEADERLESS.has(k), sources);
    elector = new LeaderElector(
      kubeOf(),
      { name: `${name}-eventsource`, namespace, identity: env.POD_NAME || undefined },
      {
        onStartedLeading: async () => {
          log('info', 'became the leader: starting the events that run in one replica');
          await startEvents((k) => !LEADERLESS.has(k), leaderSources);
        },
        onStoppedLeading: async () => {
          log('warn', 'lost the leadership: stopping the events that run in one replica');
          for (const s of leaderSources.splice(0)) await s.stop().catch(() => {});
          const keep = running.filter((k) => LEADERLESS.has(k.split('/')[0]!));
          running.splice(0, running.length, ...keep);
        },
        log: (m) => log('info', m),
      },
    );
    elector.start();
  } else await startEvents(() => true, sources);
  started = true;
  return {
    bus: b,
    metrics,
    metricsPort,
    running,
    errors,
    async stop() {
      stopped = true;
      await elector?.stop().catch(() => {});
      for (const s of [...sources, ...leaderSources]) await s.stop().catch(() => {});
      await b.close();
      await recorder?.flush().catch(() => {});
      recorder?.stop();
      metrics.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  void argv;
  // a stray rejection (a client library's background error) is logged, not fatal to the service
  process.on('unhandledRejection', (e) => process.stderr.write(JSON.stringify({ level: 'error', ts: new Date().toISOString(), msg: `eventsource-service: unhandled rejection: ${(e as Error)?.stack ?? String(e)}` }) + '\n'));
  const ac = new AbortController();
  let svc: EventSourceService;
  try {
    svc = await startEventSourceService(process.env, ac.signal);
  } catch (e) {
    process.stderr.write(`eventsource-service: ${(e as Error).message}\n`);
    return 1;
  }
  if (svc.running.length === 0) process.stderr.write(`eventsource-service: no event is running (${JSON.stringify(svc.errors)})\n`);
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGTERM', done);
    process.once('SIGINT', done);
  });
  ac.abort();
  await svc.stop();
  return 0;
}
