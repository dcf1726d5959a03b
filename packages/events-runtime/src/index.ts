/** @flotilla/events-runtime: Argo Events' data plane: the eventsource and sensor services that run in their pods. */
export {};
