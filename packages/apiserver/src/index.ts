export { startApiServer } from './server.js';
export type { ApiServer, ApiServerOptions } from './server.js';
export { Store } from './store.js';
export { Registry } from './registry.js';
export { parsePath } from './api.js';
export { loadOrCreatePki } from './pki.js';
/** test fixture: an admission webhook server's source (see webhooks/test-server.ts) */
export { WEBHOOK_SERVER_JS } from './webhooks/test-server.js';
