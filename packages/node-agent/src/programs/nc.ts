/**
 * Stand-in for busybox's `nc` (alpine and busybox images; the host may have none, or one without -e/-k):
 *   nc [-w SEC] [-z] [-v] HOST PORT          connect: stdin to the peer, the peer to stdout (-z: only check it listens)
 *   nc -l [-k] [-p PORT] [-s ADDR] [-e PROG [ARGS]]   listen: one connection (-k / -ll: keep accepting), each
 *                                             given to PROG (stdin/stdout the connection) or to stdin/stdout
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { spawn } from 'node:child_process';

const argv = process.argv.slice(2);
let listen = 0;
let keep = false;
let zero = false;
let verbose = false;
let port: number | undefined;
let addr: string | undefined;
let wait: number | undefined;
let prog: string[] | undefined;
const rest: string[] = [];
const usage = (why: string): never => {
  process.stderr.write(`nc: ${why}\nUsage: nc [-iN] [-wN] [-l] [-k] [-p PORT] [-s ADDR] [-e PROG] [-z] [-v] [IPADDR PORT]\n`);
  process.exit(1);
};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (prog) break;
  if (!a.startsWith('-') || a === '-') {
    rest.push(a);
    continue;
  }
  // clustered flags (-lk, -lvp 9999, -w5)
  for (let j = 1; j < a.length; j++) {
    const f = a[j]!;
    const value = () => (j + 1 < a.length ? a.slice(j + 1) : argv[++i] ?? usage(`option requires an argument -- '${f}'`));
    if (f === 'l') listen++;
    else if (f === 'k') keep = true;
    else if (f === 'z') zero = true;
    else if (f === 'v') verbose = true;
    else if (f === 'n') {
      /* numeric only: always */
    } else if (f === 'p') { port = Number(value()); break; }
    else if (f === 's') { addr = value(); break; }
    else if (f === 'w') { wait = Number(value()); break; }
    else if (f === 'i') { value(); break; }
    else if (f === 'e') { prog = [value(), ...argv.slice(i + 1)]; break; }
    else usage(`invalid option -- '${f}'`);
  }
}
if (prog && prog.length === 1 && /\s/.test(prog[0]!)) prog = ['/bin/sh', '-c', prog[0]!];

function serve(sock: Socket, done: () => void): void {
  if (prog) {
    const child = spawn(prog[0]!, prog.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    sock.pipe(child.stdin!).on('error', () => {});
    child.stdout!.pipe(sock);
    child.on('error', (e) => { process.stderr.write(`nc: ${prog![0]}: ${e.message}\n`); sock.destroy(); });
    child.on('close', () => { sock.end(); done(); });
    sock.on('error', () => child.kill());
    return;
  }
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  // the peer's end of the stream ends this side: the other way may still be open (half-close)
  sock.on('end', () => { process.stdin.unpipe(sock); sock.end(); });
  sock.on('close', done);
  sock.on('error', () => {});
}

if (listen) {
  if (rest.length && port === undefined) port = Number(rest[rest.length - 1]);
  if (port === undefined || !Number.isInteger(port)) usage('-l needs a port (-p PORT)');
  const forever = keep || listen > 1;
  const server = createServer({ allowHalfOpen: true }, (sock) => {
    if (verbose) process.stderr.write(`connect from ${sock.remoteAddress}:${sock.remotePort}\n`);
    if (!forever) server.close();
    serve(sock, () => { if (!forever) process.exit(0); });
  });
  server.on('error', (e) => { process.stderr.write(`nc: bind: ${e.message}\n`); process.exit(1); });
  server.listen(port, addr, () => { if (verbose) process.stderr.write(`listening on ${addr ?? '[::]'}:${port} ...\n`); });
} else {
  const [host, p] = rest;
  if (!host || !p) usage('need HOST and PORT');
  const sock = createConnection({ host, port: Number(p), allowHalfOpen: true });
  const timer = wait ? setTimeout(() => { process.stderr.write(`nc: timed out\n`); process.exit(1); }, wait * 1000) : undefined;
  sock.on('error', (e) => { process.stderr.write(`nc: can't connect to remote host (${host}): ${e.message.replace(/^connect /, '')}\n`); process.exit(1); });
  sock.on('connect', () => {
    if (timer) clearTimeout(timer);
    if (verbose) process.stderr.write(`${host} (${host}:${p}) open\n`);
    if (zero) { sock.end(); process.exit(0); }
    serve(sock, () => process.exit(0));
  });
}
