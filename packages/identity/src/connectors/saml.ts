/**
 * Dex's `saml` connector: SAML 2.0 Web Browser SSO as a service provider. The AuthnRequest goes to
 * the IdP's `ssoURL` over the HTTP-Redirect binding (RelayState = the broker's state); the IdP
 * answers with an HTTP-POST to the callback (`SAMLResponse`, `RelayState`). The response is checked
 * as Dex checks it: a valid signature on the response or the assertion by one of the configured
 * certificates (`ca` / `caData`), InResponseTo = the ID of the AuthnRequest sent for this state
 * (each ID is accepted once), Destination and the bearer SubjectConfirmation's Recipient = the ACS
 * URL, the audience = `entityIssuer` (default the ACS URL), NotBefore/NotOnOrAfter with 30 s of
 * clock skew, the IdP's Issuer = `ssoIssuer` when set. The user id is the NameID; username, email
 * and groups come from the configured attributes. SAML has no refresh.
 *
 * Signature checking, time and audience conditions are @node-saml/node-saml's; the Dex-specific
 * checks and the attribute mapping are here.
 */
import { randomBytes } from 'node:crypto';
import { SAML, ValidateInResponseTo, type CacheProvider, type CacheItem, type Profile, type SamlConfig } from '@node-saml/node-saml';
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import type { ConnectorContext, ConnectorFactory, Identity, RedirectConnector, Scopes } from '../connector.js';
import { parseSamlConfig, unknownSamlFields, type SamlConnectorConfig } from './saml-config.js';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** Dex's allowed clock drift */
export const CLOCK_SKEW_MS = 30_000;
/** how long a login attempt waits for the IdP's answer */
export const REQUEST_TTL_MS = 10 * 60_000;
const MAX_PENDING = 10_000;

interface Pending {
  requestID: string;
  createdAt: number;
}

/**
 * AuthnRequests waiting for their answer, by connector id then state. Kept outside the connector
 * instance: the broker builds its connectors again whenever argocd-cm changes, and a login that is
 * under way at the IdP then must still be answerable by the new instance.
 */
const PENDING = new Map<string, Map<string, Pending>>();

function pendingFor(connectorID: string): Map<string, Pending> {
  let m = PENDING.get(connectorID);
  if (!m) PENDING.set(connectorID, (m = new Map()));
  return m;
}

/** node-saml's InResponseTo store, holding exactly the one request ID this callback may answer. */
class OneRequest implements CacheProvider {
  constructor(private readonly id: string, private readonly createdAt: number) {}
  async saveAsync(): Promise<CacheItem | null> {
    return null;
  }
  async getAsync(key: string): Promise<string | null> {
    return key === this.id ? new Date(this.createdAt).toISOString() : null;
  }
  async removeAsync(): Promise<string | null> {
    return null;
  }
}

/** node-saml's assertion checks (InResponseTo, times, audience, attributes) without a signature — `insecureSkipSignatureValidation` only. */
class UnsignedSAML extends SAML {
  async validateUnsigned(responseXML: string, assertionXML: string, inResponseTo: string | null): Promise<Profile> {
    await this.validateInResponseTo(inResponseTo);
    return (await this.processValidlySignedAssertionAsync(assertionXML, responseXML, inResponseTo)).profile;
  }
}

function parseXML(xml: string, what: string): Document {
  // SAML messages carry no DTD; one is refused rather than parsed (entity expansion)
  if (/<!DOCTYPE/i.test(xml)) throw new Error(`${what} contains a DOCTYPE`);
  const errors: string[] = [];
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') errors.push(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    errors.push((err as Error).message);
    doc = undefined as unknown as Document;
  }
  if (errors.length || !doc?.documentElement) throw new Error(`${what} is not well-formed XML: ${errors[0] ?? 'no document element'}`);
  return doc;
}

/** node-saml's messages where they say less than they could. */
function explain(msg: string): string {
  if (msg.startsWith('No valid subject confirmation found'))
    return `the assertion is expired or not yet valid (its bearer SubjectConfirmationData's NotBefore/NotOnOrAfter, ${CLOCK_SKEW_MS / 1000} s clock skew allowed)`;
  if (msg === 'Invalid signature') return 'Invalid signature: neither the response nor the assertion carries a valid signature by the configured ca/caData certificate';
  return msg;
}

function children(el: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) out.push(n as Element);
  }
  return out;
}

function text(el: Element | undefined): string | undefined {
  return el?.textContent?.trim() || undefined;
}

/** Attribute values by Name, every AttributeStatement of the (verified) assertion. */
export function assertionAttributes(assertion: Element): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const st of children(assertion, ASSERTION, 'AttributeStatement')) {
    for (const attr of children(st, ASSERTION, 'Attribute')) {
      const name = attr.getAttribute('Name') ?? '';
      const values = children(attr, ASSERTION, 'AttributeValue').map((v) => v.textContent ?? '');
      out.set(name, [...(out.get(name) ?? []), ...values]);
    }
  }
  return out;
}

export class SamlConnector implements RedirectConnector {
  readonly kind = 'redirect';
  /** the pending AuthnRequests, shared by the instances of one connector id (see PENDING) */
  private readonly pending: Map<string, Pending>;

  constructor(readonly cfg: SamlConnectorConfig, private readonly ctx: ConnectorContext) {
    this.pending = pendingFor(ctx.id);
  }

  private acs(callbackURL: string): string {
    return this.cfg.redirectURI ?? (callbackURL || this.ctx.callbackURL);
  }

  private options(acs: string, extra: Partial<SamlConfig>): SamlConfig {
    return {
      entryPoint: this.cfg.ssoURL,
      issuer: this.cfg.entityIssuer ?? acs,
      callbackUrl: acs,
      audience: this.cfg.entityIssuer ?? acs,
      // node-saml insists on a certificate even when none is used (insecureSkipSignatureValidation)
      idpCert: this.cfg.certs.length ? this.cfg.certs : 'unused',
      identifierFormat: this.cfg.nameIDPolicyFormat,
      disableRequestedAuthnContext: true,
      // Dex accepts a signature on the response or on the assertion
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: false,
      acceptedClockSkewMs: CLOCK_SKEW_MS,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: REQUEST_TTL_MS,
      ...extra,
    };
  }

  private prune(now: number): void {
    for (const [state, p] of this.pending) {
      if (now - p.createdAt > REQUEST_TTL_MS || this.pending.size > MAX_PENDING) this.pending.delete(state);
      else break; // insertion order = age order
    }
  }

  async loginURL(_scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string }> {
    const now = Date.now();
    this.prune(now);
    const requestID = '_' + randomBytes(20).toString('hex');
    const saml = new SAML(this.options(this.acs(callbackURL), { generateUniqueId: () => requestID, validateInResponseTo: ValidateInResponseTo.never }));
    const url = await saml.getAuthorizeUrlAsync(state, undefined, {});
    this.pending.delete(state);
    this.pending.set(state, { requestID, createdAt: now });
    return { url };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, params: URLSearchParams, state: string): Promise<Identity> {
    const acs = this.acs(callbackURL);
    const samlResponse = params.get('SAMLResponse');
    if (!samlResponse) throw new Error('SAML callback without a SAMLResponse (the IdP must answer with the HTTP-POST binding)');
    const relayState = params.get('RelayState');
    if (relayState !== null && relayState !== state) throw new Error('SAML response refused: RelayState does not belong to this login');
    const pending = this.pending.get(state);
    // one answer per AuthnRequest: a replayed or second response finds nothing
    this.pending.delete(state);
    if (!pending) throw new Error('SAML response refused: no login is waiting for it (unsolicited, replayed, or older than 10 minutes)');
    if (Date.now() - pending.createdAt > REQUEST_TTL_MS) throw new Error('SAML response refused: the login attempt is older than 10 minutes');

    try {
      return await this.verify(scopes, acs, samlResponse, pending);
    } catch (err) {
      const msg = explain((err as Error).message);
      this.ctx.log('warn', 'SAML response refused', { connector: this.ctx.id, reason: msg });
      throw new Error(msg.startsWith('SAML response refused') ? msg : `SAML response refused: ${msg}`);
    }
  }

  private async verify(scopes: Scopes, acs: string, samlResponse: string, pending: Pending): Promise<Identity> {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const doc = parseXML(xml, 'SAMLResponse');
    const response = doc.documentElement!;
    if (response.namespaceURI !== SAMLP || response.localName !== 'Response') throw new Error(`expected a samlp:Response, got ${response.nodeName}`);

    // Response-level checks (Dex makes them whether or not the response itself is signed)
    const destination = response.getAttribute('Destination');
    if (destination && destination !== acs) throw new Error(`Destination ${JSON.stringify(destination)} is not this callback ${JSON.stringify(acs)}`);
    const inResponseTo = response.getAttribute('InResponseTo');
    if (inResponseTo !== pending.requestID) throw new Error(`InResponseTo ${JSON.stringify(inResponseTo ?? '')} does not answer this login's AuthnRequest`);
    const respIssuer = text(children(response, ASSERTION, 'Issuer')[0]);
    if (this.cfg.ssoIssuer && respIssuer && respIssuer !== this.cfg.ssoIssuer) throw new Error(`Issuer ${JSON.stringify(respIssuer)} is not ssoIssuer ${JSON.stringify(this.cfg.ssoIssuer)}`);
    const status = children(response, SAMLP, 'Status')[0];
    const code = status && children(status, SAMLP, 'StatusCode')[0]?.getAttribute('Value');
    if (code && code !== 'urn:oasis:names:tc:SAML:2.0:status:Success') {
      const detail = text(status && children(status, SAMLP, 'StatusMessage')[0]);
      throw new Error(`the IdP answered ${code.replace(/.*:/, '')}${detail ? ': ' + detail : ''}`);
    }

    const extra = { cacheProvider: new OneRequest(pending.requestID, pending.createdAt) };
    let profile: Profile | null;
    if (this.cfg.insecureSkipSignatureValidation) {
      const assertions = children(response, ASSERTION, 'Assertion');
      if (assertions.length !== 1) throw new Error(`expected one Assertion, found ${assertions.length}`);
      const saml = new UnsignedSAML(this.options(acs, extra));
      profile = await saml.validateUnsigned(xml, new XMLSerializer().serializeToString(assertions[0]!), inResponseTo);
    } else {
      const saml = new SAML(this.options(acs, extra));
      profile = (await saml.validatePostResponseAsync({ SAMLResponse: samlResponse })).profile;
    }
    if (!profile) throw new Error('no assertion in the response');

    // Assertion-level checks on the verified assertion
    const assertion = parseXML(profile.getAssertionXml!(), 'assertion').documentElement!;
    const asIssuer = text(children(assertion, ASSERTION, 'Issuer')[0]);
    if (this.cfg.ssoIssuer && asIssuer !== this.cfg.ssoIssuer) throw new Error(`assertion Issuer ${JSON.stringify(asIssuer ?? '')} is not ssoIssuer ${JSON.stringify(this.cfg.ssoIssuer)}`);
    const subject = children(assertion, ASSERTION, 'Subject')[0];
    if (!subject) throw new Error('the assertion has no Subject');
    const confirmations = children(subject, ASSERTION, 'SubjectConfirmation');
    const bearer = confirmations.filter((c) => c.getAttribute('Method') === BEARER);
    if (bearer.length === 0) throw new Error('the assertion has no bearer SubjectConfirmation');
    const confirmed = bearer.some((c) => {
      const data = children(c, ASSERTION, 'SubjectConfirmationData')[0];
      if (!data) return false;
      const recipient = data.getAttribute('Recipient');
      const irt = data.getAttribute('InResponseTo');
      return (!recipient || recipient === acs) && (!irt || irt === pending.requestID);
    });
    if (!confirmed) throw new Error(`no bearer SubjectConfirmation names this callback ${JSON.stringify(acs)} as Recipient and this login's request as InResponseTo`);
    const nameID = text(children(subject, ASSERTION, 'NameID')[0]);
    if (!nameID) throw new Error('the assertion Subject has no NameID value');

    return this.identity(scopes, nameID, assertionAttributes(assertion));
  }

  /** Dex's attribute mapping, allowedGroups and filterGroups. */
  identity(scopes: Scopes, nameID: string, attrs: Map<string, string[]>): Identity {
    const names = () => [...attrs.keys()].join(', ') || 'none';
    const one = (name: string): string => {
      const v = attrs.get(name)?.[0];
      if (v === undefined) throw new Error(`no attribute named ${JSON.stringify(name)} in the assertion (it has: ${names()})`);
      return v;
    };
    const ident: Identity = { userID: nameID, username: one(this.cfg.usernameAttr), email: one(this.cfg.emailAttr), emailVerified: true, groups: [] };
    const { groupsAttr, allowedGroups } = this.cfg;
    if (!scopes.groups || !groupsAttr) {
      if (allowedGroups.length) throw new Error('user not a member of allowed groups (groups were not requested or groupsAttr is not set)');
      return ident;
    }
    // An IdP leaves the attribute out for a user in no group: no groups (Dex refuses the login instead).
    const values = attrs.get(groupsAttr) ?? [];
    ident.groups = this.cfg.groupsDelim ? values.flatMap((v) => v.split(this.cfg.groupsDelim!)).filter((g) => g !== '') : values;
    if (allowedGroups.length === 0) return ident;
    const matches = ident.groups.filter((g) => allowedGroups.includes(g));
    if (matches.length === 0) throw new Error('user not a member of allowed groups');
    if (this.cfg.filterGroups) ident.groups = matches;
    return ident;
  }
}

export const samlConnector: ConnectorFactory = (config, ctx) => {
  const cfg = parseSamlConfig(config, ctx.id);
  const unknown = unknownSamlFields(config);
  if (unknown.length) ctx.log('warn', 'saml connector: config fields Dex does not know are ignored', { connector: ctx.id, fields: unknown });
  if (cfg.insecureSkipSignatureValidation) ctx.log('warn', 'saml connector: insecureSkipSignatureValidation is set — responses are not verified', { connector: ctx.id });
  return new SamlConnector(cfg, ctx);
};
