/**
 * Connector types by Dex's `type:` name. Each connector lives in its own file here and adds
 * its line below (one line per type keeps merges easy).
 */
import type { ConnectorFactory } from '../connector.js';
import { oidc } from './oidc.js';
import { oauth } from './oauth.js';
import { githubConnector } from './github.js';
import { gitlabConnector } from './gitlab.js';
import { ldapConnector } from './ldap.js';
import { linkedinConnector } from './linkedin.js';
import { microsoftConnector } from './microsoft.js';

export const CONNECTORS: Record<string, ConnectorFactory> = {
  oidc,
  oauth,
  // saml: …
  ldap: ldapConnector,
  github: githubConnector,
  gitlab: gitlabConnector,
  microsoft: microsoftConnector,
  linkedin: linkedinConnector,
};
