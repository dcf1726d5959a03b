// @flotilla/k8s-builtins — Kubernetes' built-in resources: registry, schemas, protobuf definitions, OpenAPI, defaults, validation, printers.
export * from './resources.js';
export * from './schemas.js';
export * from './openapi.js';
export * from './defaults.js';
export * from './validation.js';
export * from './printers.js';
export * from './gen-proto-data.js';
