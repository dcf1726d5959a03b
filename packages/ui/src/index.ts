/**
 * Serving the built web UI (`static/`, made by `vite build` during the root build) from a Node HTTP
 * server: files by path (hashed assets cached for a year), every other path answered with index.html
 * (client-side routes) with the server's base href and the section it opens on written into it.
 * argocd-server and argo-server each call `serveUi` for paths outside their APIs.
 */
import type { ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build puts the UI. */
export const UI_ASSETS = fileURLToPath(new URL('../static', import.meta.url));

export type UiSection = 'applications' | 'workflows' | 'rollouts' | 'events';

export interface ServeUiOptions {
  /** the server's base href (`/`, `/argo-cd/`) */
  baseHref: string;
  /** the section the UI opens on at `/` */
  section: UiSection;
  /** another directory of assets (argocd-server's --staticassets); files there win over the bundled ones */
  extraDir?: string;
  /** the UI's directory (default UI_ASSETS) */
  dir?: string;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** The file under `dir` that `path` names, or undefined (outside `dir`, missing, a directory). */
async function fileUnder(dir: string, path: string): Promise<string | undefined> {
  const root = normalize(dir);
  let rel: string;
  try {
    rel = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, rel));
  if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

const TITLES: Record<UiSection, string> = { applications: 'Argo CD', workflows: 'Argo Workflows', rollouts: 'Argo Rollouts', events: 'Argo Events' };

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** index.html with the base href and section written in. */
export function renderIndex(html: string, o: { baseHref: string; section: UiSection }): string {
  const base = o.baseHref.endsWith('/') ? o.baseHref : `${o.baseHref}/`;
  return html
    .replace(/<title>[^<]*<\/title>/, `<title>${TITLES[o.section]}</title>`)
    .replace(/<base href="[^"]*"\s*\/?>/, `<base href="${escapeAttr(base)}">`)
    .replace(/<meta name="flotilla-section" content="[^"]*"\s*\/?>/, `<meta name="flotilla-section" content="${o.section}" />`);
}

const NOT_BUILT = (base: string, section: UiSection) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${TITLES[section]}</title><base href="${escapeAttr(base)}"></head>
<body><h1>Flotilla (Argo CD, Argo Workflows)</h1><p>The web UI was not built (no <code>packages/ui/static/index.html</code>): run <code>npm run build</code> at the repository's root. The REST API is under <code>api/v1</code>.</p></body></html>
`;

/** Answers a request for a UI path (anything outside the server's API). */
export async function serveUi(path: string, res: ServerResponse, o: ServeUiOptions): Promise<void> {
  const dir = o.dir ?? UI_ASSETS;
  if (path !== '/' && extname(path)) {
    const file = (o.extraDir ? await fileUnder(o.extraDir, path) : undefined) ?? (await fileUnder(dir, path));
    if (file) {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': body.length,
        'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        'x-content-type-options': 'nosniff',
      });
      return void res.end(body);
    }
    if (path.startsWith('/assets/')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('404 page not found\n');
    }
  }
  let html: string;
  try {
    html = renderIndex(await readFile(join(dir, 'index.html'), 'utf8'), o);
  } catch {
    html = NOT_BUILT(o.baseHref.endsWith('/') ? o.baseHref : `${o.baseHref}/`, o.section);
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html), 'cache-control': 'no-cache', 'x-frame-options': String(res.getHeader('x-frame-options') ?? 'sameorigin'), 'x-content-type-options': 'nosniff' });
  res.end(html);
}
