/**
 * A scripted browser for tests and benchmarks: a real HTTP client with a cookie jar (per host, path-scoped)
 * that follows redirects and fills and posts HTML forms. `stopAt` ends a redirect chain at a URL nobody
 * serves (an OAuth client's redirect URI) and hands it back.
 */
import { request } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Page {
  url: string;
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Cookie {
  value: string;
  path: string;
}

const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#(\d+));/g, (m, n, d) => (d ? String.fromCharCode(Number(d)) : ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" } as Record<string, string>)[n] ?? m));

export class Browser {
  private readonly jar = new Map<string, Map<string, Cookie>>();
  /** every URL requested, in order */
  readonly history: string[] = [];

  constructor(
    private readonly stopAt: (url: URL) => boolean = () => false,
    /** CA certificates (PEM) trusted for https:// pages */
    private readonly ca?: string[],
    /** host names resolved here (e.g. host.flotilla.internal → 127.0.0.1), as /etc/hosts would */
    private readonly hosts: Record<string, string> = {},
  ) {}

  private cookieHeader(u: URL): string | undefined {
    const c = this.jar.get(u.host);
    if (!c) return undefined;
    const v = [...c].filter(([, x]) => u.pathname === x.path || u.pathname.startsWith(x.path.endsWith('/') ? x.path : `${x.path}/`) || x.path === '/').map(([k, x]) => `${k}=${x.value}`);
    return v.length ? v.join('; ') : undefined;
  }

  private store(u: URL, set: string[] | undefined): void {
    for (const line of set ?? []) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = u.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const a of attrs) {
        const [k, v = ''] = a.split('=');
        if (k!.toLowerCase() === 'path') path = v || '/';
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
        if (k!.toLowerCase() === 'expires' && Date.parse(v) < Date.now()) expired = true;
      }
      let c = this.jar.get(u.host);
      if (!c) this.jar.set(u.host, (c = new Map()));
      if (expired) c.delete(name);
      else c.set(name, { value, path });
    }
  }

  private send(method: string, url: URL, body?: string): Promise<Page> {
    this.history.push(url.href);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'text/html' };
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const target = new URL(url);
      const mapped = this.hosts[url.hostname];
      if (mapped) {
        target.hostname = mapped;
        headers.host = url.host;
      }
      const req = (url.protocol === 'https:' ? httpsRequest : request)(target, { method, headers, ...(url.protocol === 'https:' ? { ca: this.ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          this.store(url, res.headers['set-cookie']);
          resolve({ url: url.href, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        });
      });
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  /** a request, then its redirects (GET) until a page or a URL `stopAt` accepts (returned with status 0) */
  async go(method: string, url: string, body?: string): Promise<Page> {
    let u = new URL(url);
    let page = await this.send(method, u, body);
    for (let i = 0; i < 20 && page.status >= 300 && page.status < 400 && page.headers.location; i++) {
      u = new URL(String(page.headers.location), u);
      if (this.stopAt(u)) return { url: u.href, status: 0, body: '', headers: {} };
      page = await this.send('GET', u);
    }
    return page;
  }

  get(url: string): Promise<Page> {
    if (this.stopAt(new URL(url))) return Promise.resolve({ url, status: 0, body: '', headers: {} });
    return this.go('GET', url);
  }

  /** fills the page's first form (or the one whose action matches) with `values` and submits it */
  submit(page: Page, values: Record<string, string>, actionMatch?: RegExp): Promise<Page> {
    const forms = [...page.body.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)];
    const form = forms.find((f) => !actionMatch || actionMatch.test(unescape(/action="([^"]*)"/.exec(f[1]!)?.[1] ?? '')));
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}): ${page.body.slice(0, 300)}`);
    const action = new URL(unescape(/action="([^"]*)"/.exec(form[1]!)?.[1] ?? page.url), page.url);
    const method = (/method="([^"]*)"/.exec(form[1]!)?.[1] ?? 'get').toUpperCase();
    const fields = new URLSearchParams();
    for (const m of form[2]!.matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(m[1]!)?.[1];
      if (name) fields.set(unescape(name), unescape(/value="([^"]*)"/.exec(m[1]!)?.[1] ?? ''));
    }
    for (const [k, v] of Object.entries(values)) fields.set(k, v);
    if (method === 'GET') {
      action.search = fields.toString();
      return this.go('GET', action.href);
    }
    return this.go('POST', action.href, fields.toString());
  }

  /** the links (href) on a page */
  static links(page: Page): string[] {
    return [...page.body.matchAll(/href="([^"]*)"/g)].map((m) => new URL(unescape(m[1]!), page.url).href);
  }
}
