/**
 * `gcr.io/google-samples/gb-frontend` (the guestbook of Argo CD's example apps) on Flotilla: the
 * guestbook page on :80 and its `guestbook.php?cmd=get|set&key=K[&value=V]` JSON API, with the
 * messages kept in memory (the original keeps them in a redis the example does not deploy).
 */
import { createServer } from 'node:http';

export const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Guestbook</title>
<style>
 body { font-family: sans-serif; margin: 2em auto; max-width: 40em; }
 #guestbook-entries div { border-bottom: 1px solid #ddd; padding: .4em 0; }
</style>
</head>
<body>
<h2>Guestbook</h2>
<form id="guestbook-form">
  <input id="guestbook-entry" name="value" placeholder="Messages" autocomplete="off">
  <button type="submit">Submit</button>
</form>
<div id="guestbook-entries"></div>
<script>
const entries = document.getElementById('guestbook-entries');
function show(data) {
  entries.textContent = '';
  for (const m of (data || '').split(',').filter(Boolean)) {
    const d = document.createElement('div');
    d.textContent = m;
    entries.appendChild(d);
  }
}
function load() {
  fetch('guestbook.php?cmd=get&key=messages').then((r) => r.json()).then((j) => show(j.data));
}
document.getElementById('guestbook-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = document.getElementById('guestbook-entry');
  const value = input.value.trim();
  if (!value) return;
  fetch('guestbook.php?cmd=get&key=messages').then((r) => r.json()).then((j) => {
    const all = (j.data ? j.data + ',' : '') + value.replace(/,/g, ' ');
    return fetch('guestbook.php?cmd=set&key=messages&value=' + encodeURIComponent(all));
  }).then(() => { input.value = ''; load(); });
});
load();
</script>
</body>
</html>
`;

/** Answers one request of the guestbook's API (pure apart from the store). */
export function guestbookApi(query: URLSearchParams, store: Map<string, string>): { status: number; body: unknown } {
  const cmd = query.get('cmd');
  const key = query.get('key') ?? '';
  if (!key) return { status: 400, body: { error: 'key is required' } };
  if (cmd === 'get') return { status: 200, body: { data: store.get(key) ?? '' } };
  if (cmd === 'set') {
    store.set(key, query.get('value') ?? '');
    return { status: 200, body: { message: 'Updated' } };
  }
  return { status: 400, body: { error: `unknown cmd "${cmd ?? ''}" (get, set)` } };
}

function main(): void {
  const store = new Map<string, string>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://guestbook');
    if (url.pathname === '/guestbook.php') {
      const r = guestbookApi(url.searchParams, store);
      const body = JSON.stringify(r.body);
      res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      return void res.end(body);
    }
    if (url.pathname === '/' || url.pathname === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE) });
      return void res.end(req.method === 'HEAD' ? undefined : PAGE);
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found\n');
  });
  const host = process.env.FLOTILLA_LISTEN_IP || '0.0.0.0';
  const port = Number(process.env.PORT || 80);
  server.listen(port, host, () => process.stdout.write(`guestbook frontend listening on ${host}:${port}\n`));
  const stop = () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
