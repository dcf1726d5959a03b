export { startServer, DEFAULT_OPTIONS, type ArgoServer } from './server.js';
export { parseArgs, USAGE } from './options.js';
export type { ServerOptions, Ctx, RepoClientLike } from './context.js';
export { Rbac, rbacConfig, parsePolicy, projectPolicies, BUILTIN_POLICY, globMatch, regexMatch } from './rbac.js';
export { parseAccounts } from './accounts.js';
export { SessionManager, type Claims, type SsoVerifier } from './session.js';
