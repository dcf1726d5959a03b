/**
 * Connector types by Dex's `type:` name. Each connector lives in its own file here and adds
 * its line below (one line per type keeps merges easy).
 */
import type { ConnectorFactory } from '../connector.js';
import { samlConnector } from './saml.js';

export const CONNECTORS: Record<string, ConnectorFactory> = {
  saml: samlConnector,
  // oidc: …, oauth: …, ldap: …, saml: …, github: …, gitlab: …, microsoft: …, linkedin: …
};
