/**
 * Dex's `saml` connector configuration, read as Dex reads it (field names, requirements, defaults,
 * the `nameIDPolicyFormat` short names). Pure apart from reading the `ca` file.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';

export interface SamlConnectorConfig {
  ssoURL: string;
  /** PEM certificates a response's signature must verify against (empty with insecureSkipSignatureValidation) */
  certs: string[];
  insecureSkipSignatureValidation: boolean;
  /** the ACS URL (Dex's redirectURI); undefined = the broker's callback URL */
  redirectURI?: string;
  /** the SP entity id sent as the AuthnRequest's Issuer and expected as the audience (default: the ACS URL) */
  entityIssuer?: string;
  /** the Issuer the IdP's responses and assertions must carry, when set */
  ssoIssuer?: string;
  usernameAttr: string;
  emailAttr: string;
  groupsAttr?: string;
  groupsDelim?: string;
  allowedGroups: string[];
  filterGroups: boolean;
  nameIDPolicyFormat: string;
}

const NAMEID_FORMATS: Record<string, string> = {
  emailAddress: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
  X509SubjectName: 'urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName',
  WindowsDomainQualifiedName: 'urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName',
  encrypted: 'urn:oasis:names:tc:SAML:2.0:nameid-format:encrypted',
  entity: 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity',
  kerberos: 'urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
};

/** Dex's lookup: a short name (`persistent`) or a full URN; anything else is sent as written. Default persistent. */
export function nameIDFormat(value: string | undefined): string {
  if (!value) return NAMEID_FORMATS.persistent!;
  return NAMEID_FORMATS[value] ?? value;
}

const KNOWN = new Set([
  'ssoURL', 'ca', 'caData', 'insecureSkipSignatureValidation', 'redirectURI', 'entityIssuer', 'ssoIssuer',
  'usernameAttr', 'emailAttr', 'groupsAttr', 'groupsDelim', 'allowedGroups', 'filterGroups', 'nameIDPolicyFormat',
]);

/** Splits a PEM bundle into its CERTIFICATE blocks, each checked to parse as X.509. */
export function pemCertificates(pem: string, where: string): string[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`${where}: no PEM CERTIFICATE block found`);
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (err) {
      throw new Error(`${where}: certificate ${i + 1} does not parse: ${(err as Error).message}`);
    }
  }
  return blocks;
}

/** Dex's caData: the base64 encoding of a PEM file (whitespace and line breaks ignored). A raw PEM is accepted too. */
export function decodeCAData(caData: string, where: string): string[] {
  if (caData.includes('-----BEGIN')) return pemCertificates(caData, where);
  const compact = caData.replace(/\s+/g, '');
  if (compact.startsWith('$'))
    throw new Error(`${where}: ${JSON.stringify(compact)} is a secret reference that was not resolved — is the key in the Secret? (write it on one line, \`caData: ${compact}\`: under \`caData: |\` the line break keeps it from resolving, as upstream)`);
  if (!/^[A-Za-z0-9+/=_-]+$/.test(compact)) throw new Error(`${where}: not base64 (Dex's caData is the base64 encoding of a PEM file)`);
  return pemCertificates(Buffer.from(compact, 'base64').toString('utf8'), `${where} (base64-decoded)`);
}

/** Fields Dex's saml connector does not know (Dex ignores them; the connector logs a warning). */
export function unknownSamlFields(config: Record<string, unknown>): string[] {
  return Object.keys(config).filter((k) => !KNOWN.has(k));
}

export function parseSamlConfig(config: Record<string, unknown>, connectorID: string): SamlConnectorConfig {
  const at = (field: string) => `saml connector "${connectorID}": config.${field}`;
  const str = (field: string, required = false): string | undefined => {
    const v = config[field];
    if (v === undefined || v === null || v === '') {
      if (required) throw new Error(`${at(field)} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new Error(`${at(field)} must be a string, got ${Array.isArray(v) ? 'a list' : typeof v}`);
    return v.trim();
  };
  const bool = (field: string): boolean => {
    const v = config[field];
    if (v === undefined || v === null) return false;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    throw new Error(`${at(field)} must be true or false, got ${JSON.stringify(v)}`);
  };
  const url = (field: string, required = false): string | undefined => {
    const v = str(field, required);
    if (v === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      throw new Error(`${at(field)} is not a URL: ${JSON.stringify(v)}`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`${at(field)} must be an http(s) URL, got ${JSON.stringify(v)}`);
    return v;
  };


  const ssoURL = url('ssoURL', true)!;
  const insecureSkipSignatureValidation = bool('insecureSkipSignatureValidation');
  const ca = str('ca');
  const caData = str('caData');
  if (ca && caData) throw new Error(`saml connector "${connectorID}": set config.ca or config.caData, not both`);
  let certs: string[] = [];
  if (caData) certs = decodeCAData(caData, at('caData'));
  else if (ca) {
    let pem: string;
    try {
      pem = readFileSync(ca, 'utf8');
    } catch (err) {
      throw new Error(`${at('ca')}: cannot read ${ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    certs = pemCertificates(pem, `${at('ca')} (${ca})`);
  } else if (!insecureSkipSignatureValidation) {
    throw new Error(`saml connector "${connectorID}": config.ca or config.caData is required to verify the IdP's signatures (or insecureSkipSignatureValidation: true)`);
  }

  const allowed = config.allowedGroups;
  let allowedGroups: string[] = [];
  if (allowed !== undefined && allowed !== null) {
    if (!Array.isArray(allowed) || allowed.some((g) => typeof g !== 'string')) throw new Error(`${at('allowedGroups')} must be a list of strings`);
    allowedGroups = allowed as string[];
  }
  const groupsDelim = config.groupsDelim;
  if (groupsDelim !== undefined && groupsDelim !== null && typeof groupsDelim !== 'string') throw new Error(`${at('groupsDelim')} must be a string`);

  return {
    ssoURL,
    certs,
    insecureSkipSignatureValidation,
    redirectURI: url('redirectURI'),
    entityIssuer: str('entityIssuer'),
    ssoIssuer: str('ssoIssuer'),
    usernameAttr: str('usernameAttr', true)!,
    emailAttr: str('emailAttr', true)!,
    groupsAttr: str('groupsAttr'),
    groupsDelim: typeof groupsDelim === 'string' && groupsDelim !== '' ? groupsDelim : undefined,
    allowedGroups,
    filterGroups: bool('filterGroups'),
    nameIDPolicyFormat: nameIDFormat(str('nameIDPolicyFormat')),
  };
}
