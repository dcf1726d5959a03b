/**
 * Connector types by Dex's `type:` name. Each connector lives in its own file here and adds
 * its line below (one line per type keeps merges easy).
 */
import type { ConnectorFactory } from '../connector.js';
import { oidc } from './oidc.js';
import { oauth } from './oauth.js';

export const CONNECTORS: Record<string, ConnectorFactory> = {
  oidc,
  oauth,
  // ldap: …, saml: …, github: …, gitlab: …, microsoft: …, linkedin: …
};
