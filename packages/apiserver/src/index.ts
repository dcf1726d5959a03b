export { startApiServer } from './server.js';
export type { ApiServer, ApiServerOptions } from './server.js';
export { Store } from './store.js';
export { Registry } from './registry.js';
export { parsePath } from './api.js';
