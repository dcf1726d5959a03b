/**
 * Test support for SSO: the independent IdP process (test-idp.ts), a small browser (an HTTP client that keeps
 * cookies per host and path as browsers do, follows redirects and posts forms), and the scenario the SSO tests
 * share: argo-server with `--auth-mode sso` against the IdP, `rbac.enabled`, and ServiceAccounts picked by
 * group (`admin` may list workflows in `argo`, `viewer` may not).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { stopProcess } from '@flotilla/kube-runtime/testkit';
import { freePort, startEnv, type Env } from '../testenv.js';
import type { ServerOptions } from '../context.js';

export interface Idp {
  issuer: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

export interface IdpUser {
  username: string;
  password: string;
  claims: Record<string, unknown>;
}

/** Starts test-idp.js as its own process; resolves once it listens. */
export async function startIdp(config: { clients: Record<string, unknown>[]; users: IdpUser[]; groupClaims?: string[]; host?: string }): Promise<Idp> {
  const script = fileURLToPath(new URL('./test-idp.js', import.meta.url));
  const proc = spawn(process.execPath, [script], { env: { ...process.env, IDP_CONFIG: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  const issuer = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`the test IdP did not start in 20 s: ${out}`)), 20_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`the test IdP exited (${c}): ${out}`));
    });
  });
  return { issuer, proc, stop: async () => void (await stopProcess(proc, 'SIGTERM')) };
}

export interface Page {
  status: number;
  url: string;
  text: string;
  headers: Record<string, string | string[] | undefined>;
  /** every URL visited, redirects included */
  trail: string[];
}

interface Cookie {
  host: string;
  path: string;
  name: string;
  value: string;
  secure: boolean;
  httpOnly: boolean;
  expires: number;
}

/** A cookie-keeping HTTP client following redirects (the browser part of a login). */
export class Browser {
  readonly cookies: Cookie[] = [];

  cookie(name: string): string | undefined {
    return this.cookies.find((c) => c.name === name && c.expires > Date.now())?.value;
  }

  private store(u: URL, header: string | string[] | undefined): void {
    for (const line of Array.isArray(header) ? header : header ? [header] : []) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const c: Cookie = { host: u.hostname, path: '/', name: pair!.slice(0, eq), value: pair!.slice(eq + 1), secure: false, httpOnly: false, expires: Infinity };
      const dir = u.pathname.replace(/\/[^/]*$/, '') || '/';
      c.path = dir;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        const key = k!.toLowerCase();
        if (key === 'path') c.path = v || '/';
        else if (key === 'secure') c.secure = true;
        else if (key === 'httponly') c.httpOnly = true;
        else if (key === 'max-age') c.expires = Number(v) <= 0 ? 0 : Date.now() + Number(v) * 1000;
        else if (key === 'expires' && c.expires === Infinity) c.expires = Date.parse(v);
      }
      const i = this.cookies.findIndex((x) => x.host === c.host && x.path === c.path && x.name === c.name);
      if (i >= 0) this.cookies.splice(i, 1);
      if (c.expires > Date.now()) this.cookies.push(c);
    }
  }

  private header(u: URL): string {
    const now = Date.now();
    return this.cookies
      .filter((c) => c.host === u.hostname && c.expires > now && (!c.secure || u.protocol === 'https:') && (u.pathname === c.path || u.pathname.startsWith(c.path.endsWith('/') ? c.path : c.path + '/')))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** One request, no redirect following. */
  send(url: string, o: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const u = new URL(url);
    const body = o.form ? new URLSearchParams(o.form).toString() : undefined;
    const headers: Record<string, string> = { accept: 'text/html,application/json', ...(o.headers ?? {}) };
    const ck = this.header(u);
    if (ck) headers.cookie = ck;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const r = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, { method: o.method ?? (body ? 'POST' : 'GET'), headers, rejectUnauthorized: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          this.store(u, res.headers['set-cookie']);
          resolve({ status: res.statusCode ?? 0, url, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers, trail: [url] });
        });
      });
      r.on('error', reject);
      r.end(body);
    });
  }

  /** Follows redirects (303 and 302 become GET, as browsers do) up to 15 hops. */
  async go(url: string, o: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    const trail: string[] = [];
    let page = await this.send(url, o);
    trail.push(url);
    for (let i = 0; i < 15 && page.status >= 300 && page.status < 400 && page.headers.location; i++) {
      const next = new URL(String(page.headers.location), page.url).toString();
      trail.push(next);
      page = await this.send(next);
    }
    return { ...page, trail };
  }

  /** Submits the first form of `page` with `fields`, following redirects. */
  submit(page: Page, fields: Record<string, string>): Promise<Page> {
    const m = /<form[^>]*action="([^"]+)"/i.exec(page.text);
    if (!m) throw new Error(`no form on ${page.url}: ${page.text.slice(0, 300)}`);
    const action = new URL(m[1]!.replace(/&#(\d+);/g, (_s, n) => String.fromCharCode(Number(n))), page.url).toString();
    return this.go(action, { form: fields });
  }
}

export const USERS: IdpUser[] = [
  { username: 'alice', password: 'alice-pw', claims: { email: 'alice@example.com', email_verified: true, name: 'Alice Admin', groups: ['argo-admins', 'staff'], argo_groups: ['argo-wf-admins', 'unrelated'] } },
  { username: 'bob', password: 'bob-pw', claims: { email: 'bob@example.com', email_verified: true, name: 'Bob Viewer', groups: ['viewers', 'staff'], argo_groups: ['argo-wf-viewers'] } },
  { username: 'dave', password: 'dave-pw', claims: { email: 'dave@example.com', email_verified: true, name: 'Dave Teamonly', groups: ['team-only'] } },
  { username: 'carol', password: 'carol-pw', claims: { email: 'carol@example.com', email_verified: true, name: 'Carol Nogroup', groups: [] } },
];

/** The objects the SSO scenarios need in `argo`: the client Secret, the ConfigMap, ServiceAccounts `admin` and `viewer` with rules, admin's Role, a workflow. */
export function setupObjects(sso: Record<string, unknown>, clientId: string, clientSecret: string): Record<string, unknown>[] {
  const stringify = (v: unknown) => YAML.stringify(v);
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argo-server-sso', namespace: 'argo' }, stringData: { 'client-id': clientId, 'client-secret': clientSecret } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'workflow-controller-configmap', namespace: 'argo' }, data: { sso: stringify(sso) } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'admin', namespace: 'argo', annotations: { 'workflows.argoproj.io/rbac-rule': "'argo-admins' in groups", 'workflows.argoproj.io/rbac-rule-precedence': '10' } } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer', namespace: 'argo', annotations: { 'workflows.argoproj.io/rbac-rule': "'viewers' in groups || 'staff' in groups", 'workflows.argoproj.io/rbac-rule-precedence': '1' } } },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'wf-admin', namespace: 'argo' }, rules: [{ apiGroups: ['argoproj.io'], resources: ['workflows'], verbs: ['get', 'list', 'watch', 'create'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'wf-admin', namespace: 'argo' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wf-admin' }, subjects: [{ kind: 'ServiceAccount', name: 'admin', namespace: 'argo' }] },
    { apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', metadata: { name: 'hello', namespace: 'argo' }, spec: { entrypoint: 'main', templates: [{ name: 'main', container: { image: 'busybox', command: ['echo', 'hi'] } }] } },
  ];
}

/** `kubectl apply` of `objs` on a test cluster. */
export async function applyObjects(c: { dir: string; k(args: string[]): Promise<string> }, objs: Record<string, unknown>[]): Promise<void> {
  const f = `${c.dir}/sso-setup-${Math.random().toString(36).slice(2)}.yaml`;
  writeFileSync(f, objs.map((x) => YAML.stringify(x)).join('---\n'));
  await c.k(['apply', '-f', f]);
}

export interface SsoScenario {
  env: Env;
  idp: Idp;
  clientId: string;
  /** free ports whose /oauth2/callback the IdP also accepts (for more argo-servers in the same test) */
  ports: number[];
  /** the sso section the main server runs with */
  sso: Record<string, unknown>;
  /** logs in through the IdP's form; the browser then holds the `authorization` cookie */
  login(username: string, password: string, redirect?: string, base?: string): Promise<{ browser: Browser; page: Page; token?: string }>;
  close(): Promise<void>;
}

/**
 * argo-server (HTTPS on a fixed free port) with `--auth-mode sso` and `sso.rbac.enabled`, the IdP, and in `argo`:
 * ServiceAccount `admin` (rule `'argo-admins' in groups`, precedence 10, may get/list/watch/create workflows),
 * `viewer` (rule `'viewers' in groups || 'staff' in groups`, precedence 1, no workflow permissions), a workflow
 * `hello`. `ssoExtra` adds to or overrides the sso section.
 */
export async function startSsoScenario(o: { ssoExtra?: Record<string, unknown>; server?: Partial<ServerOptions>; extraPorts?: number } = {}): Promise<SsoScenario> {
  const port = await freePort();
  const ports: number[] = [];
  for (let i = 0; i < (o.extraPorts ?? 0); i++) ports.push(await freePort());
  const base = `https://127.0.0.1:${port}`;
  const clientId = 'argo-workflows';
  const clientSecret = 'argo-sso-client-secret-9f2c';
  const idp = await startIdp({ clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${base}/oauth2/callback`, ...ports.map((p) => `https://127.0.0.1:${p}/oauth2/callback`)], grant_types: ['authorization_code'], response_types: ['code'] }], users: USERS, groupClaims: ['groups', 'argo_groups'] });
  let env: Env | undefined;
  let sso: Record<string, unknown> = {};
  try {
    sso = { issuer: idp.issuer, clientId: { name: 'argo-server-sso', key: 'client-id' }, clientSecret: { name: 'argo-server-sso', key: 'client-secret' }, redirectUrl: `${base}/oauth2/callback`, scopes: ['groups', 'email', 'profile'], rbac: { enabled: true }, ...(o.ssoExtra ?? {}) };
    env = await startEnv({
      port,
      authModes: ['sso'],
      ...(o.server ?? {}),
      setup: (c) => applyObjects(c, setupObjects(sso, clientId, clientSecret)),
    });
  } catch (e) {
    await idp.stop();
    throw e;
  }
  const e = env;
  return {
    env: e,
    idp,
    clientId,
    ports,
    sso,
    async login(username, password, redirect, base = e.base) {
      const browser = new Browser();
      const first = await browser.go(`${base}/oauth2/redirect${redirect ? `?redirect=${encodeURIComponent(redirect)}` : ''}`);
      if (first.status !== 200 || !/<form/.test(first.text)) return { browser, page: first };
      const page = await browser.submit(first, { username, password });
      return { browser, page, token: browser.cookie('authorization') ? decodeURIComponent(browser.cookie('authorization')!) : undefined };
    },
    async close() {
      await e.close();
      await idp.stop();
    },
  };
}
