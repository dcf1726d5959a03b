/** @flotilla/events: Argo Events' controller-manager (EventBus, EventSource, Sensor controllers) and validating webhook. */
export { ControllerManager, EventBusController, EventSourceController, SensorController, RES, busFor } from './controllers.js';
export { busObjects, busKind, names as busNames, type BusConfig } from './eventbus.js';
export { buildDeployment, buildService, deploymentName, serviceName } from './workloads.js';
export { validateEventBus, validateEventBusUpdate, validateEventSource, validateSensor } from './validate.js';
export { review, webhookConfiguration } from './webhook.js';
export { startManager } from './manager.js';
