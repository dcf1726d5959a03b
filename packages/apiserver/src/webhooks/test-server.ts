/**
 * Test fixture: the source of a small admission webhook server (plain Node, no dependencies), run
 * by the tests as a real program — on the host (`node server.mjs`) or in a pod (image node:20, the
 * script from a ConfigMap volume). HTTPS on $PORT with $CERT / $KEY; the path picks the behaviour:
 *
 * - `/deny`: refuses objects whose `data` has a key containing "bad" (403, message naming the
 *   key); otherwise allows with the warning "checked by the deny webhook".
 * - `/label`: adds the label `webhook-added: "yes"` (JSONPatch).
 * - `/slow`: answers after 5 s. `/garbage`: answers 200 with text that is not JSON.
 * - `/record`: allows and remembers the request; `GET /records` lists what was remembered.
 * - `/deny-delete`: refuses DELETE requests. `/deny-connect`: refuses CONNECT requests (exec…).
 * - `/warn`: allows with two warnings. `/rename`: patches metadata.name (which is not allowed).
 */
export const WEBHOOK_SERVER_JS = String.raw`
import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
const records = [];
const server = createServer({ cert: readFileSync(process.env.CERT), key: readFileSync(process.env.KEY) }, (req, res) => {
  const path = new URL(req.url, 'https://x').pathname;
  if (req.method === 'GET' && path === '/records') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end(JSON.stringify(records)); }
  if (req.method === 'GET' && path === '/healthz') { res.writeHead(200); return res.end('ok'); }
  let body = '';
  req.on('data', (d) => (body += d));
  req.on('end', () => {
    let review;
    try { review = JSON.parse(body); } catch { res.writeHead(400); return res.end('bad json'); }
    const rq = review.request || {};
    const answer = (response) => {
      const out = JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: rq.uid, ...response } });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(out);
    };
    if (path === '/garbage') { res.writeHead(200, { 'content-type': 'application/json' }); return res.end('this is not json'); }
    if (path === '/slow') return setTimeout(() => answer({ allowed: true }), 5000);
    if (path === '/record') { records.push(rq); return answer({ allowed: true }); }
    if (path === '/warn') return answer({ allowed: true, warnings: ['first warning from the webhook', 'second warning from the webhook'] });
    if (path === '/deny-delete') return answer(rq.operation === 'DELETE' ? { allowed: false, status: { code: 403, reason: 'Forbidden', message: 'deleting ' + rq.name + ' is not allowed' } } : { allowed: true });
    if (path === '/deny-connect') return answer(rq.operation === 'CONNECT' ? { allowed: false, status: { code: 403, reason: 'Forbidden', message: rq.subResource + ' into ' + rq.name + ' (' + rq.object.kind + ' ' + JSON.stringify(rq.object.command || []) + ') is not allowed' } } : { allowed: true });
    if (path === '/rename') return answer({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify([{ op: 'replace', path: '/metadata/name', value: 'renamed' }])).toString('base64') });
    if (path === '/label') {
      const labels = rq.object && rq.object.metadata && rq.object.metadata.labels;
      const patch = labels ? [{ op: 'add', path: '/metadata/labels/webhook-added', value: 'yes' }] : [{ op: 'add', path: '/metadata/labels', value: { 'webhook-added': 'yes' } }];
      return answer({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') });
    }
    if (path === '/deny') {
      const bad = Object.keys((rq.object && rq.object.data) || {}).find((k) => k.includes('bad'));
      if (bad) return answer({ allowed: false, status: { code: 403, reason: 'Forbidden', message: 'data key "' + bad + '" is not allowed' } });
      return answer({ allowed: true, warnings: ['checked by the deny webhook'] });
    }
    res.writeHead(404);
    res.end('no such webhook');
  });
});
server.listen(Number(process.env.PORT || 8443), process.env.HOST || '0.0.0.0', () => console.log('webhook server listening on ' + server.address().port));
`;
