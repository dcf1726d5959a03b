/**
 * A small SAML 2.0 identity provider for tests (loopback only): it takes an HTTP-Redirect
 * AuthnRequest at /sso, shows a login form, checks the user's password and answers with an
 * auto-submitting HTTP-POST form carrying a Response whose Assertion (and/or the Response) it
 * signs with xml-crypto (RSA-SHA256, exclusive c14n, its certificate in KeyInfo). `next` bends the
 * next Response (expired, wrong audience, unsigned, another key…) so tests can check refusals.
 */
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { SignedXml } from 'xml-crypto';
import { DOMParser } from '@xmldom/xmldom';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestUser {
  password: string;
  nameID: string;
  attributes: Record<string, string[]>;
}

/** Changes to the next Response (cleared after it is issued). Times are seconds relative to now. */
export interface ResponseOverrides {
  sign?: 'assertion' | 'response' | 'both' | 'none';
  signer?: KeyPair;
  /** null = no AudienceRestriction */
  audience?: string | null;
  destination?: string | null;
  recipient?: string;
  inResponseTo?: string;
  issuer?: string;
  notBefore?: number;
  notOnOrAfter?: number;
  /** only the Conditions' NotOnOrAfter (the SubjectConfirmationData keeps `notOnOrAfter`) */
  conditionsNotOnOrAfter?: number;
  status?: string;
}

export interface AuthnRequestSeen {
  id: string;
  issuer?: string;
  destination?: string;
  acs?: string;
  nameIDFormat?: string;
  relayState?: string;
}

export interface TestIdP {
  entityID: string;
  ssoURL: string;
  signer: KeyPair;
  users: Map<string, TestUser>;
  next: ResponseOverrides;
  requests: AuthnRequestSeen[];
  close(): Promise<void>;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const iso = (offsetSec: number) => new Date(Date.now() + offsetSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const newID = () => '_' + randomBytes(16).toString('hex');

async function body(req: import('node:http').IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** An HTML page with a form that posts `fields` to `action` (what a browser would submit). */
export function postForm(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}"/>`).join('');
  return `<!DOCTYPE html><html><body onload="document.forms[0].submit()"><form method="post" action="${esc(action)}">${inputs}<input type="submit" value="Continue"/></form></body></html>`;
}

/** The forms of an HTML page: action and fields (inputs with a name and value), as a browser reads them. */
export function parseForms(html: string): { action: string; method: string; fields: Record<string, string> }[] {
  const unesc = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#13;/g, '\r').replace(/&amp;/g, '&');
  const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag)?.[1];
  const out: { action: string; method: string; fields: Record<string, string> }[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const fields: Record<string, string> = {};
    for (const i of m[2]!.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(i[0], 'name');
      if (name) fields[unesc(name)] = unesc(attr(i[0], 'value') ?? '');
    }
    out.push({ action: unesc(attr(m[1]!, 'action') ?? ''), method: (attr(m[1]!, 'method') ?? 'get').toLowerCase(), fields });
  }
  return out;
}

function sign(xml: string, signer: KeyPair, element: 'Assertion' | 'Response'): string {
  const sig = new SignedXml({
    privateKey: signer.key,
    publicCert: signer.cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const path = element === 'Assertion' ? "/*[local-name(.)='Response']/*[local-name(.)='Assertion']" : "/*[local-name(.)='Response']";
  sig.addReference({
    xpath: path,
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
  });
  sig.computeSignature(xml, { prefix: 'ds', location: { reference: `${path}/*[local-name(.)='Issuer']`, action: 'after' } });
  return sig.getSignedXml();
}

export function buildResponse(idp: { entityID: string; signer: KeyPair }, req: AuthnRequestSeen, user: TestUser, o: ResponseOverrides): string {
  const acs = req.acs ?? '';
  const inResponseTo = o.inResponseTo ?? req.id;
  const destination = o.destination === undefined ? acs : o.destination;
  const issuer = o.issuer ?? idp.entityID;
  const attrs = Object.entries(user.attributes)
    .map(([name, values]) => `<saml:Attribute Name="${esc(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${values.map((v) => `<saml:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${esc(v)}</saml:AttributeValue>`).join('')}</saml:Attribute>`)
    .join('');
  const notOnOrAfter = iso(o.notOnOrAfter ?? 300);
  const assertion =
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newID()}" Version="2.0" IssueInstant="${iso(0)}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${esc(req.nameIDFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent')}">${esc(user.nameID)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="${esc(inResponseTo)}" NotOnOrAfter="${notOnOrAfter}" Recipient="${esc(o.recipient ?? acs)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(o.notBefore ?? -5)}" NotOnOrAfter="${o.conditionsNotOnOrAfter === undefined ? notOnOrAfter : iso(o.conditionsNotOnOrAfter)}">${o.audience === null ? '' : `<saml:AudienceRestriction><saml:Audience>${esc(o.audience ?? req.issuer ?? '')}</saml:Audience></saml:AudienceRestriction>`}</saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="${newID()}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    (attrs ? `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` : '') +
    `</saml:Assertion>`;
  const status = o.status ?? 'urn:oasis:names:tc:SAML:2.0:status:Success';
  let xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${newID()}" Version="2.0" IssueInstant="${iso(0)}"` +
    `${destination ? ` Destination="${esc(destination)}"` : ''} InResponseTo="${esc(inResponseTo)}">` +
    `<saml:Issuer>${esc(issuer)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="${esc(status)}"/></samlp:Status>` +
    (status.endsWith(':Success') ? assertion : '') +
    `</samlp:Response>`;
  const hasAssertion = status.endsWith(':Success');
  // an error response has no assertion: the IdP signs the response instead
  const mode = o.sign ?? (hasAssertion ? 'assertion' : 'response');
  const signer = o.signer ?? idp.signer;
  if (mode === 'assertion' || mode === 'both') xml = sign(xml, signer, 'Assertion');
  if (mode === 'response' || mode === 'both') xml = sign(xml, signer, 'Response');
  return xml;
}

export function parseAuthnRequest(samlRequest: string, relayState?: string): AuthnRequestSeen {
  const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const el = doc.documentElement!;
  if (el.localName !== 'AuthnRequest') throw new Error(`not an AuthnRequest: ${el.nodeName}`);
  const byName = (local: string) => {
    for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1 && (n as unknown as { localName: string }).localName === local) return n as unknown as import('@xmldom/xmldom').Element;
    return undefined;
  };
  return {
    id: el.getAttribute('ID') ?? '',
    issuer: byName('Issuer')?.textContent ?? undefined,
    destination: el.getAttribute('Destination') ?? undefined,
    acs: el.getAttribute('AssertionConsumerServiceURL') ?? undefined,
    nameIDFormat: byName('NameIDPolicy')?.getAttribute('Format') ?? undefined,
    relayState,
  };
}

export async function startTestIdP(signer: KeyPair, users: Record<string, TestUser>): Promise<TestIdP> {
  const sessions = new Map<string, AuthnRequestSeen>();
  let server: Server;
  const idp: TestIdP = {
    entityID: '',
    ssoURL: '',
    signer,
    users: new Map(Object.entries(users)),
    next: {},
    requests: [],
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', idp.entityID);
      if (req.method === 'GET' && url.pathname === '/sso') {
        const r = parseAuthnRequest(url.searchParams.get('SAMLRequest') ?? '', url.searchParams.get('RelayState') ?? undefined);
        idp.requests.push(r);
        const key = randomBytes(12).toString('hex');
        sessions.set(key, r);
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!DOCTYPE html><html><body><h1>Test IdP sign-in</h1><form method="post" action="/login"><input name="username"/><input name="password" type="password"/><input type="hidden" name="session" value="${key}"/></form></body></html>`);
        return;
      }
      if (req.method === 'POST' && url.pathname === '/login') {
        const form = await body(req);
        const r = sessions.get(form.get('session') ?? '');
        if (!r) {
          res.writeHead(400).end('unknown session');
          return;
        }
        const user = idp.users.get(form.get('username') ?? '');
        if (!user || user.password !== form.get('password')) {
          res.writeHead(401, { 'content-type': 'text/html' }).end('<p>Invalid username or password</p>');
          return;
        }
        sessions.delete(form.get('session')!);
        const xml = buildResponse(idp, r, user, idp.next);
        idp.next = {};
        const fields: Record<string, string> = { SAMLResponse: Buffer.from(xml).toString('base64') };
        if (r.relayState !== undefined) fields.RelayState = r.relayState;
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(postForm(r.acs ?? '', fields));
        return;
      }
      res.writeHead(404).end('not found');
    } catch (err) {
      res.writeHead(500).end(String((err as Error).message));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  idp.entityID = `http://127.0.0.1:${port}`;
  idp.ssoURL = `http://127.0.0.1:${port}/sso`;
  return idp;
}
