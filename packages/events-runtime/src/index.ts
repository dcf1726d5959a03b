/** @flotilla/events-runtime: Argo Events' data plane: the eventsource and sensor services that run in their pods. */
export { startEventSourceService, passesFilter, SOURCES, NOT_AVAILABLE } from './eventsource.js';
export { startSensorService } from './sensor.js';
export { SensorEngine, triggerKind, retryDelay, sensorProblems } from './sensor/engine.js';
export { connectBus, parseStreamConfig, type Bus } from './bus/index.js';
export type { CloudEvent, EventBusConfig } from './config.js';
