export * from './connector.js';
export { CONNECTORS } from './connectors/index.js';
export { dexClientSecret } from './secret.js';
export { Broker, dexSubject, type BrokerOptions } from './broker.js';
export { brokerConfig, generateDexConfig, secretValues, replaceSecrets, ConfigError, ARGO_CD_CLIENT, ARGO_CD_CLI_CLIENT, type BrokerConfig, type ConnectorEntry, type StaticClient } from './config.js';
export { runDex, type RunningDex } from './main.js';
