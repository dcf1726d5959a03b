/** Stand-in for hashicorp/http-echo: `-text=TEXT -listen=:5678` answers TEXT to every request. */
import { createServer } from 'node:http';

let text = 'hello-world';
let listen = ':5678';
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i].replace(/^--?/, '');
  const [k, v] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, argv[++i]];
  if (k === 'text') text = v ?? '';
  else if (k === 'listen') listen = v ?? listen;
}
const colon = listen.lastIndexOf(':');
const host = listen.slice(0, colon) || process.env.FLOTILLA_LISTEN_IP || process.env.FLOTILLA_POD_IP || '0.0.0.0';
const port = Number(listen.slice(colon + 1));
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-app-name': 'http-echo' });
  res.end(`${text}\n`);
});
server.listen(port, host, () => console.log(`[INFO] server is listening on ${host}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
