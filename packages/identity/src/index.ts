export * from './connector.js';
export { CONNECTORS } from './connectors/index.js';
export { dexClientSecret } from './secret.js';
