/**
 * `argo-events sensor-service`: subscribes to the dependencies of the Sensor in SENSOR_OBJECT on the event
 * bus (EVENTBUS_CONFIG) and runs its triggers. Metrics and /healthz on :7777.
 */
import { EventRecorder, KubeClient } from '@flotilla/kube-runtime';
import { decodeEnvObject, makeLogger, ConfigError, type EventBusConfig } from './config.js';
import { connectBus, type Bus } from './bus/index.js';
import { busEventReporter, eventsLog } from './bus/report.js';
import { closeKafkaProducers } from './triggers/simple.js';
import { Metrics } from './metrics.js';
import { SensorEngine } from './sensor/engine.js';

export interface SensorService {
  engine: SensorEngine;
  bus: Bus;
  metrics: Metrics;
  metricsPort?: number;
  stop(): Promise<void>;
}

export async function startSensorService(env: NodeJS.ProcessEnv = process.env, signal: AbortSignal = new AbortController().signal): Promise<SensorService> {
  const sensor = decodeEnvObject<any>('SENSOR_OBJECT', env);
  const busConfig = decodeEnvObject<EventBusConfig>('EVENTBUS_CONFIG', env);
  const name: string = sensor.metadata?.name;
  if (!name) throw new ConfigError('SENSOR_OBJECT has no metadata.name');
  const namespace: string = env.SENSOR_NAMESPACE || sensor.metadata?.namespace || 'default';
  sensor.metadata.namespace ??= namespace;
  // the object is a Sensor even when its type fields were left out (Go clients often drop them):
  // the Events this service records name it as their involved object
  sensor.apiVersion ??= 'argoproj.io/v1alpha1';
  sensor.kind ??= 'Sensor';
  const log = makeLogger({ sensorName: name, namespace });
  let kube: KubeClient | undefined;
  const kubeOf = () => (kube ??= new KubeClient(env.KUBECONFIG || undefined, { fieldManager: 'argo-events-sensor', qps: 100, burst: 200 }));
  let recorder: EventRecorder | undefined;
  try {
    recorder = env.SENSOR_EVENTS === 'false' ? undefined : new EventRecorder(kubeOf(), { component: 'sensor', host: env.POD_NAME, log: eventsLog(log) });
  } catch (e) {
    log('warn', `no Kubernetes API (${(e as Error).message}): triggers that need it will fail, and no Kubernetes Events are recorded`);
  }
  const metrics = new Metrics();
  const engine = new SensorEngine({ sensor, namespace, log, kube: kubeOf, metrics, recorder });
  let bus: Bus | undefined;
  let subscribed = false;
  // ready once connected to the bus and subscribed
  const metricsPort = await metrics.serve(env.METRICS_PORT !== undefined ? Number(env.METRICS_PORT) : 7777, () => subscribed && !!bus?.connected);
  // the bus's state as Kubernetes Events on the Sensor (the controller's EventBusConnected condition reads them)
  const onState = busEventReporter(recorder, sensor, sensor.spec?.eventBusName || 'default', busConfig, log);
  bus = await connectBus({ config: busConfig, subject: env.EVENT_BUS_SUBJECT || `eventbus-${namespace}`, log, name: env.POD_NAME || `sensor-${name}`, env, signal, namespace, kube: kubeOf, onState });
  const deps = [...engine.deps.values()].map((d) => ({ name: d.name, eventSourceName: d.eventSourceName, eventName: d.eventName }));
  await bus.subscribe(name, deps, (dep, ev, ack) => {
    log('debug', `received event ${ev.id} for dependency ${dep}`);
    void engine.onEvent(dep, ev, ack).catch((e) => log('error', `processing event ${ev.id} of ${dep}: ${(e as Error).message}`));
  });
  subscribed = true;
  log('info', `sensor started: ${deps.length} dependencies, ${engine.triggers.length} triggers`);
  const b = bus;
  return {
    engine,
    bus: b,
    metrics,
    metricsPort,
    async stop() {
      engine.stop();
      await b.close();
      await closeKafkaProducers();
      await recorder?.flush().catch(() => {});
      recorder?.stop();
      metrics.close();
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  void argv;
  // a stray rejection (a client library's background error) is logged, not fatal to the service
  process.on('unhandledRejection', (e) => process.stderr.write(JSON.stringify({ level: 'error', ts: new Date().toISOString(), msg: `sensor-service: unhandled rejection: ${(e as Error)?.stack ?? String(e)}` }) + '\n'));
  const ac = new AbortController();
  let svc: SensorService;
  try {
    svc = await startSensorService(process.env, ac.signal);
  } catch (e) {
    process.stderr.write(`sensor-service: ${(e as Error).message}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  ac.abort();
  await svc.stop();
  return 0;
}
