/** @flotilla/events: Argo Events' controller-manager (EventBus, EventSource, Sensor controllers) and validating webhook. */
export {};
