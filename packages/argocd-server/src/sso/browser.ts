/**
 * Test support: the browser part of a login — an HTTP client that keeps cookies (per host, as a
 * browser does across ports), follows redirects and submits HTML forms.
 */
export interface Page {
  status: number;
  url: string;
  text: string;
  headers: Headers;
  /** every URL visited, in order */
  trail: string[];
}

export class Browser {
  readonly jar = new Map<string, Map<string, string>>();

  cookies(url: string): Map<string, string> {
    const h = new URL(url).hostname;
    let m = this.jar.get(h);
    if (!m) this.jar.set(h, (m = new Map()));
    return m;
  }

  cookie(url: string, name: string): string | undefined {
    return this.cookies(url).get(name);
  }

  private store(url: string, set: string[]): void {
    const m = this.cookies(url);
    for (const c of set) {
      const [pair, ...attrs] = c.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (gone || value === '') m.delete(name);
      else m.set(name, value);
    }
  }

  /** One request, no redirect followed. */
  async request(url: string, o: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const jar = this.cookies(url);
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const r = await fetch(url, { method: o.method ?? 'GET', body: o.body, headers, redirect: 'manual' });
    this.store(url, r.headers.getSetCookie());
    return r;
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
