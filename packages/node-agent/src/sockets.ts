/**
 * Socket plumbing shared by the node agent and its network helper (netd): the one-line header
 * of their socket protocols (`IP PORT\n` → `OK\n` | `ERR …\n`), TCP dialing, splicing two
 * connections, and round-robin relaying of a client connection to a set of backends.
 */
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Reads the header line without putting the stream into flowing or paused mode, so that whoever
 * takes the stream next (pipe, an HTTP client) sees the bytes after the line.
 */
export function readLine(s: Socket, max = 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const done = (err: Error | null, line?: string) => {
      s.removeListener('readable', onReadable);
      s.removeListener('error', onError);
      s.removeListener('end', onEnd);
      if (err) reject(err);
      else resolve(line!);
    };
    const onError = (e: Error) => done(e);
    const onEnd = () => done(new Error('connection closed before the header line'));
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const nl = head.indexOf(10);
        if (nl >= 0) {
          const rest = head.subarray(nl + 1);
          if (rest.length) s.unshift(rest);
          done(null, head.subarray(0, nl).toString('latin1'));
          return;
        }
        if (head.length > max) {
          s.destroy();
          done(new Error('header line too long'));
          return;
        }
      }
    };
    s.on('readable', onReadable);
    s.on('error', onError);
    s.on('end', onEnd);
  });
}

/** A TCP connection to ip:port (half-open allowed, for splicing). */
export function dialTcp(ip: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: ip, port, allowHalfOpen: true });
    s.once('connect', () => {
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Pipes two connections both ways; either end closing closes the other. */
export function splice(a: Duplex, b: Duplex): void {
  a.on('error', () => b.destroy());
  b.on('error', () => a.destroy());
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
  a.pipe(b);
  b.pipe(a);
}

export interface RoundRobin {
  backends: { ip: string; port: number }[];
  next: number;
}

/**
 * Connects a client to the next backend, round-robin; a backend that does not answer passes the
 * client to the one after it. With no backend left the client is reset (kube-proxy's REJECT).
 */
export function relay(rr: RoundRobin, client: Socket, dial: (ip: string, port: number) => Promise<Duplex>, attempt = 0): void {
  const b = rr.backends;
  if (!b.length || attempt >= b.length) {
    client.resetAndDestroy();
    return;
  }
  const be = b[rr.next++ % b.length];
  if (rr.next > 1e9) rr.next = 0;
  dial(be.ip, be.port).then(
    (s) => {
      if (client.destroyed) s.destroy();
      else splice(client, s);
    },
    () => {
      if (!client.destroyed) relay(rr, client, dial, attempt + 1);
    },
  );
}
