/**
 * netd — the node agent's helper that lives in the node network namespace (the one holding the
 * pods' bridge). It is started by the agent through `nsenter --net=…` with an IPC channel and
 * exits when the agent goes away. It does what the agent cannot do from the host namespace:
 *
 * - Service proxy: listens on every ClusterIP:port (the node namespace routes the whole service
 *   range to itself) and spreads new connections round-robin over the ready endpoints. Endpoints
 *   on host loopback (the API server behind the `kubernetes` Service) are reached through the
 *   agent's host socket.
 * - Dialer: the agent connects to `dial.sock`, writes `IP PORT\n`, reads `OK\n` (or `ERR …\n`)
 *   and then talks to IP:PORT as seen from the pod network (probes, port-forward, NodePorts).
 * - Cluster DNS on the bridge address, UDP port 53: Service and pod names of the cluster; other
 *   names are looked up by the agent on the host.
 *
 * Usage (by the agent only): node netd.js SOCKET_DIR BRIDGE_IP
 */
import { createServer, connect, type Socket, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import * as dnsPacket from 'dns-packet';
import { dialTcp, readLine, relay, splice, type RoundRobin } from './sockets.js';

export interface ServiceEntry {
  /** ClusterIP */
  ip: string;
  port: number;
  /** ready endpoints, ip:port */
  backends: { ip: string; port: number }[];
  /** namespace/name:port, for messages */
  name: string;
  /** TCP when absent */
  protocol?: 'UDP';
}

export type ToNetd =
  | { t: 'services'; list: ServiceEntry[] }
  | { t: 'dns'; records: Record<string, string[]> }
  | { t: 'lookup-result'; id: number; addrs: string[] };

export type FromNetd = { t: 'ready' } | { t: 'log'; msg: string } | { t: 'lookup'; id: number; name: string } | { t: 'listen-error'; name: string; msg: string };

const [sockDir, bridgeIp] = process.argv.slice(2);

function send(m: FromNetd): void {
  if (process.connected) process.send!(m);
}
function log(msg: string): void {
  send({ t: 'log', msg });
}

function isHostLoopback(ip: string): boolean {
  return ip.startsWith('127.');
}

/** Connects to ip:port: directly in this namespace, or through the agent for host loopback. */
async function dialOut(ip: string, port: number): Promise<Socket> {
  if (!isHostLoopback(ip)) return dialTcp(ip, port);
  const s = connect({ path: join(sockDir, 'host.sock'), allowHalfOpen: true });
  s.write(`${ip} ${port}\n`);
  let line: string;
  try {
    line = await readLine(s);
  } catch (e) {
    s.destroy();
    throw e;
  }
  if (line !== 'OK') {
    s.destroy();
    throw new Error(line.replace(/^ERR /, ''));
  }
  return s;
}

// ------------------------------------------------------------------------------- service proxy

interface Listener extends RoundRobin {
  entry: ServiceEntry;
  server: Server;
}
const listeners = new Map<string, Listener>();

// ------------------------------------------------------------------------------- UDP services

/**
 * A UDP ClusterIP:port: each client address gets a session — a socket connected to the endpoint
 * picked round-robin when the session starts — whose replies go back from the service address.
 * Sessions end after 30 s without traffic.
 */
interface UdpListener {
  entry: ServiceEntry;
  socket: Socket4;
  next: number;
  sessions: Map<string, { up: Socket4; timer: NodeJS.Timeout }>;
}
type Socket4 = ReturnType<typeof createSocket>;
const udpListeners = new Map<string, UdpListener>();

function udpListen(e: ServiceEntry): UdpListener {
  const l: UdpListener = { entry: e, socket: createSocket('udp4'), next: 0, sessions: new Map() };
  l.socket.on('error', (err) => {
    send({ t: 'listen-error', name: e.name, msg: `udp ${e.ip}:${e.port}: ${err.message}` });
    udpClose(l);
    udpListeners.delete(`udp:${e.ip}:${e.port}`);
  });
  l.socket.on('message', (msg, from) => {
    const key = `${from.address}:${from.port}`;
    let s = l.sessions.get(key);
    if (!s) {
      const b = l.entry.backends;
      if (!b.length) return; // no ready endpoint: dropped
      const be = b[l.next++ % b.length];
      const up = createSocket('udp4');
      up.on('error', () => {});
      up.on('message', (reply) => {
        l.socket.send(reply, from.port, from.address);
        touch();
      });
      up.connect(be.port, be.ip);
      s = { up, timer: setTimeout(() => {}, 0) };
      l.sessions.set(key, s);
    }
    const sess = s;
    const touch = () => {
      clearTimeout(sess.timer);
      sess.timer = setTimeout(() => {
        sess.up.close();
        l.sessions.delete(key);
      }, 30_000);
      sess.timer.unref();
    };
    touch();
    const trySend = () => sess.up.send(msg, (err) => err && log(`udp ${l.entry.name}: ${err.message}`));
    // a connect() in flight: send once it is done
    try {
      sess.up.remoteAddress();
      trySend();
    } catch {
      sess.up.once('connect', trySend);
    }
  });
  l.socket.bind(e.port, e.ip);
  return l;
}

function udpClose(l: UdpListener): void {
  for (const s of l.sessions.values()) {
    clearTimeout(s.timer);
    s.up.close();
  }
  l.sessions.clear();
  try {
    l.socket.close();
  } catch {
    /* closed */
  }
}

function setUdpServices(list: ServiceEntry[]): void {
  const want = new Map(list.map((e) => [`udp:${e.ip}:${e.port}`, e]));
  for (const [k, l] of udpListeners) {
    if (!want.has(k)) {
      udpClose(l);
      udpListeners.delete(k);
    }
  }
  for (const [k, e] of want) {
    const cur = udpListeners.get(k);
    if (cur) cur.entry = e;
    else udpListeners.set(k, udpListen(e));
  }
}

function setServices(all: ServiceEntry[]): void {
  setUdpServices(all.filter((e) => e.protocol === 'UDP'));
  const list = all.filter((e) => e.protocol !== 'UDP');
  const want = new Map(list.map((e) => [`${e.ip}:${e.port}`, e]));
  for (const [k, l] of listeners) {
    if (!want.has(k)) {
      l.server.close();
      listeners.delete(k);
    }
  }
  for (const [k, e] of want) {
    const cur = listeners.get(k);
    if (cur) {
      cur.entry = e;
      cur.backends = e.backends;
      continue;
    }
    const l: Listener = { entry: e, backends: e.backends, next: 0, server: undefined as unknown as Server };
    l.server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (c) => {
      c.on('error', () => {});
      relay(l, c, dialOut);
    });
    l.server.on('error', (err) => {
      send({ t: 'listen-error', name: e.name, msg: `${k}: ${err.message}` });
      listeners.delete(k);
    });
    l.server.listen({ host: e.ip, port: e.port });
    listeners.set(k, l);
  }
}

// ------------------------------------------------------------------------------- dialer

const dialSock = join(sockDir, 'dial.sock');
rmSync(dialSock, { force: true });
const dialServer = createServer({ allowHalfOpen: true }, (c) => {
  c.on('error', () => {});
  readLine(c, 256).then(
    (line) => {
      const [ip, portS] = line.trim().split(/\s+/);
      const port = Number(portS);
      if (!ip || !Number.isInteger(port) || port < 1 || port > 65535) {
        c.end(`ERR bad target "${line}"\n`);
        return;
      }
      dialOut(ip, port).then(
        (s) => {
          c.write('OK\n');
          splice(c, s);
        },
        (err: NodeJS.ErrnoException) => c.end(`ERR dial tcp ${ip}:${port}: connect: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}\n`),
      );
    },
    () => c.destroy(),
  );
});
dialServer.listen(dialSock);

// ------------------------------------------------------------------------------- DNS

let records: Record<string, string[]> = {};
const pending = new Map<number, (addrs: string[]) => void>();
let lookupId = 0;

function answer(q: dnsPacket.Packet, rcode: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL', answers: dnsPacket.Answer[]): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (rcode === 'NOERROR' ? 0 : 0) | dnsPacket.AUTHORITATIVE_ANSWER,
    rcode,
    questions: q.questions,
    answers,
  } as dnsPacket.Packet);
}

/**
 * Answers one DNS query. Over UDP an answer larger than the client can take (512 bytes, or its
 * EDNS payload size) is sent truncated (TC) so that the client asks again over TCP.
 */
function resolveQuery(msg: Buffer, send0: (b: Buffer) => void, overUdp: boolean): void {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(msg);
  } catch {
    return;
  }
  const opt = (q.additionals ?? []).find((a: any) => a.type === 'OPT') as any;
  const limit = !overUdp ? 65535 : opt ? Math.min(4096, Math.max(512, Number(opt.udpPayloadSize ?? 512))) : 512;
  const reply = (b: Buffer) => {
    if (b.length <= limit) return send0(b);
    send0(dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.TRUNCATED_RESPONSE, questions: q.questions, answers: [] } as dnsPacket.Packet));
  };
  const question = q.questions?.[0];
  if (!question) return reply(answer(q, 'SERVFAIL', []));
  const name = question.name.toLowerCase().replace(/\.$/, '');
  const known = records[name];
  const cluster = name === 'cluster.local' || name.endsWith('.cluster.local');
  const cname = known?.[0]?.startsWith('cname:') ? known[0].slice(6) : undefined;
  if ((known || cluster) && !cname) {
    if (!known) return reply(answer(q, 'NXDOMAIN', []));
    if (question.type !== 'A') return reply(answer(q, 'NOERROR', []));
    return reply(answer(q, 'NOERROR', known.map((ip) => ({ name: question.name, type: 'A', ttl: 5, data: ip }) as dnsPacket.Answer)));
  }
  // ExternalName: the CNAME, then the target's addresses
  const head: dnsPacket.Answer[] = cname ? [{ name: question.name, type: 'CNAME', ttl: 5, data: cname } as dnsPacket.Answer] : [];
  const target = cname ?? name;
  const inCluster = records[target.toLowerCase()];
  if (question.type !== 'A' || (inCluster && !inCluster[0]?.startsWith('cname:'))) {
    const a = question.type === 'A' && inCluster ? inCluster.map((ip) => ({ name: target, type: 'A', ttl: 5, data: ip }) as dnsPacket.Answer) : [];
    return reply(answer(q, 'NOERROR', [...head, ...a]));
  }
  // other names: the host resolves them
  const id = ++lookupId;
  const timer = setTimeout(() => {
    pending.delete(id);
    reply(answer(q, 'SERVFAIL', head));
  }, 3000);
  pending.set(id, (addrs) => {
    clearTimeout(timer);
    if (!addrs.length) return reply(answer(q, cname ? 'NOERROR' : 'NXDOMAIN', head));
    reply(answer(q, 'NOERROR', [...head, ...addrs.map((ip) => ({ name: target, type: 'A', ttl: 30, data: ip }) as dnsPacket.Answer)]));
  });
  send({ t: 'lookup', id, name: target });
}

const udp = createSocket('udp4');
udp.on('error', (e) => log(`dns: ${e.message}`));
udp.on('message', (msg, rinfo) => resolveQuery(msg, (b) => udp.send(b, rinfo.port, rinfo.address), true));

// DNS over TCP (two-byte length before each message), for answers too large for UDP
const dnsTcp = createServer((c) => {
  c.on('error', () => {});
  let buf = Buffer.alloc(0);
  c.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      resolveQuery(
        msg,
        (b) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(b.length);
          if (!c.destroyed) c.write(Buffer.concat([len, b]));
        },
        false,
      );
    }
  });
  c.setTimeout(10_000, () => c.destroy());
});
dnsTcp.on('error', (e) => log(`dns over tcp: ${e.message}`));

// ------------------------------------------------------------------------------- control

process.on('message', (m: ToNetd) => {
  if (m.t === 'services') setServices(m.list);
  else if (m.t === 'dns') records = m.records;
  else if (m.t === 'lookup-result') {
    const f = pending.get(m.id);
    pending.delete(m.id);
    f?.(m.addrs);
  }
});
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => {
  log(`netd: ${e.stack ?? e}`);
});

let waiting = 2;
const oneReady = () => {
  if (--waiting === 0) send({ t: 'ready' });
};
dialServer.once('listening', oneReady);
udp.once('listening', oneReady);
udp.once('error', (e) => {
  log(`dns: cannot listen on ${bridgeIp}:53: ${e.message}`);
  oneReady();
});
udp.bind(53, bridgeIp);
dnsTcp.listen(53, bridgeIp);
