/**
 * Stand-in for the argoproj/rollouts-demo image: HTTP on :8080 (the pod's address) answering its
 * color. COLOR comes from the image tag; `bad-<color>` answers 50 % errors, `slow-<color>` takes 2 s.
 * ERROR_RATE (percent) and LATENCY (seconds) override.
 * Unlike upstream's image, it also answers GET /metrics (Prometheus text format): the /color
 * answers it gave by status code and its color as given, `rollouts_demo_requests_total{color="bad-red",code="500"}` — what the pipeline
 * demo's canary analysis queries (on a real cluster that would be the ingress controller's metrics),
 * and `requests_total{color,code}` with the color as answered (the analysis tests' query).
 */
import { createServer } from 'node:http';

let color = (process.env.COLOR || 'blue').toLowerCase();
/** the color as given (bad-red stays bad-red): the `color` label of the metrics */
const tag = color;
let errorRate = 0;
let latency = 0;
if (color.startsWith('bad-')) {
  color = color.slice(4);
  errorRate = 50;
}
if (color.startsWith('slow-')) {
  color = color.slice(5);
  latency = 2;
}
if (process.env.ERROR_RATE) errorRate = Number(process.env.ERROR_RATE) || 0;
if (process.env.LATENCY) latency = Number(process.env.LATENCY) || 0;
const port = Number(process.env.PORT || 8080);
const host = process.env.LISTEN_ADDR || process.env.FLOTILLA_LISTEN_IP || process.env.FLOTILLA_POD_IP || '0.0.0.0';

const page = `<!doctype html><html><head><title>Argo Rollouts Demo</title></head>
<body style="font-family:sans-serif"><h1>Argo Rollouts Demo</h1>
<div id="c" style="width:200px;height:200px;background:${color}"></div>
<p>color: <b>${color}</b></p>
<script>setInterval(()=>fetch('/color').then(r=>r.json()).then(c=>{document.getElementById('c').style.background=c}),1000)</script>
</body></html>`;

const answered: Record<string, number> = { '200': 0, '500': 0 };
const count = (code: number) => (answered[code] = (answered[code] ?? 0) + 1);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const reply = () => {
    if (url.pathname === '/metrics') {
      const lines = Object.entries(answered).map(([code, n]) => `rollouts_demo_requests_total{color="${tag.replace(/["\\\n]/g, '_')}",code="${code}"} ${n}`);
      const plain = Object.entries(answered).map(([c, n]) => `requests_total{color="${color}",code="${c}"} ${n}`);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        `# HELP rollouts_demo_requests_total Answers to /color by status code.\n# TYPE rollouts_demo_requests_total counter\n${lines.join('\n')}\n` +
          `# HELP requests_total Requests to /color by HTTP status code.\n# TYPE requests_total counter\n${plain.join('\n')}\n`,
      );
      return;
    }
    if (url.pathname === '/color') {
      if (errorRate > 0 && Math.random() * 100 < errorRate) {
        count(500);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(color));
        return;
      }
      count(200);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(color));
      return;
    }
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(page);
  };
  if (latency > 0 && url.pathname === '/color') setTimeout(reply, latency * 1000);
  else reply();
});
server.listen(port, host, () => console.log(`rollouts-demo: ${color} on http://${host}:${port}`));
const stop = () => {
  console.log('rollouts-demo: shutting down');
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
