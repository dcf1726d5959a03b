/**
 * Connector types by Dex's `type:` name. Each connector lives in its own file here and adds
 * its line below (one line per type keeps merges easy).
 */
import type { ConnectorFactory } from '../connector.js';
import { githubConnector } from './github.js';
import { ldapConnector } from './ldap.js';

export const CONNECTORS: Record<string, ConnectorFactory> = {
  // oidc: …, oauth: …, ldap: …, saml: …, github: …, gitlab: …, microsoft: …, linkedin: …
  ldap: ldapConnector,
  github: githubConnector,
};
