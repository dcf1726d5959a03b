/**
 * Test support: the browser part of a login — an HTTP client that keeps cookies (per host, as a
 * browser does across ports), follows redirects and submits HTML forms. HTTPS servers are trusted
 * as Node trusts them, plus the CA certificates given (`new Browser({ ca })`).
 */
import http from 'node:http';
import https from 'node:https';

export interface Page {
  status: number;
  url: string;
  text: string;
  headers: Headers;
  /** every URL visited, in order */
  trail: string[];
}

export class Browser {
  /** extra trusted CA certificates (PEM) for https:// URLs */
  readonly ca?: string[];
  constructor(o: { ca?: string[] } = {}) {
    this.ca = o.ca;
  }
  /** with `ca`, requests go through node:http(s), taking response headers up to 256 kB as browsers do (fetch stops at 16 kB) */
  static readonly MAX_HEADERS = 256 * 1024;

  /** hostname → `name\0path` → value (cookies are per host, not port, as in a browser; a path scopes them) */
  readonly jar = new Map<string, Map<string, string>>();

  private hostJar(url: string): Map<string, string> {
    const h = new URL(url).hostname;
    let m = this.jar.get(h);
    if (!m) this.jar.set(h, (m = new Map()));
    return m;
  }

  /** The cookies a request to `url` carries (name → value; the longest path wins). */
  cookies(url: string): Map<string, string> & { set(name: string, value: string): any } {
    const u = new URL(url);
    const jar = this.hostJar(url);
    const out = new Map<string, string>();
    const entries = [...jar].map(([k, v]) => ({ name: k.split('\0')[0], path: k.split('\0')[1], v })).sort((a, b) => a.path.length - b.path.length);
    for (const e of entries) if (u.pathname === e.path || u.pathname.startsWith(e.path.endsWith('/') ? e.path : `${e.path}/`) || e.path === '/') out.set(e.name, e.v);
    // setting through the returned map puts a cookie at path /
    return Object.assign(out, { set: (name: string, value: string) => (jar.set(`${name}\0/`, value), out) });
  }

  cookie(url: string, name: string): string | undefined {
    return this.cookies(url).get(name);
  }

  private store(url: string, set: string[]): void {
    const m = this.hostJar(url);
    const u = new URL(url);
    for (const c of set) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const pathAttr = attrs.map((a) => a.trim()).find((a) => /^path=/i.test(a))?.slice(5);
      const path = pathAttr && pathAttr.startsWith('/') ? pathAttr : u.pathname.replace(/\/[^/]*$/, '') || '/';
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      const key = `${name}\0${path}`;
      if (gone || value === '') m.delete(key);
      else m.set(key, value);
    }
  }

  /** One request, no redirect followed. */
  async request(url: string, o: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const jar = this.cookies(url);
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const method = o.method ?? 'GET';
    const sent = this.ca ? this.nodeRequest(url, method, headers, o.body) : fetch(url, { method, body: o.body, headers, redirect: 'manual' });
    const r = await sent.catch((e: Error & { cause?: Error }) => {
      throw new Error(`${method} ${url}: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`);
    });
    this.store(url, r.headers.getSetCookie());
    return r;
  }

  /** fetch has no per-request CA (nor header limit) without undici: node:http(s), answered as a fetch Response */
  private nodeRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Response> {
    return new Promise((resolve, reject) => {
      const lib = url.startsWith('https:') ? https : http;
      const req = lib.request(url, { method, headers, ca: this.ca, maxHeaderSize: Browser.MAX_HEADERS }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const h = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) h.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode ?? 0;
          resolve(new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), { status, headers: h }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Follows redirects from `url` until a page that is not one, or one whose URL `stop` accepts. */
  async go(url: string, o: { method?: string; body?: string; headers?: Record<string, string>; stop?: (url: string) => boolean } = {}): Promise<Page> {
    const trail: string[] = [];
    let method = o.method ?? 'GET';
    let body = o.body;
    let headers = o.headers;
    for (let i = 0; i < 20; i++) {
      trail.push(url);
      if (i > 0 && o.stop?.(url)) return { status: 0, url, text: '', headers: new Headers(), trail };
      const r = await this.request(url, { method, body, headers });
      const loc = r.headers.get('location');
      if (r.status >= 300 && r.status < 400 && loc) {
        await r.arrayBuffer();
        url = new URL(loc, url).toString();
        if (r.status !== 307 && r.status !== 308) {
          method = 'GET';
          body = undefined;
          headers = undefined;
        }
        continue;
      }
      return { status: r.status, url, text: await r.text(), headers: r.headers, trail };
    }
    throw new Error(`too many redirects: ${trail.join(' → ')}`);
  }

  /** Fills the page's first form (its inputs' values, overridden by `fields`) and submits it. */
  async submit(page: Page, fields: Record<string, string>, o: { stop?: (url: string) => boolean } = {}): Promise<Page> {
    const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(page.text);
    if (!form) throw new Error(`no form on ${page.url}:\n${page.text.slice(0, 500)}`);
    const attr = (s: string, n: string) => new RegExp(`\\b${n}\\s*=\\s*"([^"]*)"`, 'i').exec(s)?.[1];
    const action = new URL((attr(form[1], 'action') ?? page.url).replace(/&amp;/g, '&'), page.url).toString();
    const method = (attr(form[1], 'method') ?? 'GET').toUpperCase();
    const data = new URLSearchParams();
    for (const m of form[2].matchAll(/<input\b([^>]*)>/gi)) {
      const name = attr(m[1], 'name');
      if (name && !(name in fields)) data.set(name, attr(m[1], 'value') ?? '');
    }
    for (const [k, v] of Object.entries(fields)) data.set(k, v);
    if (method === 'GET') {
      const u = new URL(action);
      for (const [k, v] of data) u.searchParams.set(k, v);
      return this.go(u.toString(), o);
    }
    return this.go(action, { method, body: data.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, stop: o.stop });
  }
}
