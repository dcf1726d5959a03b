/**
 * `portForward`: SPDY port-forward sessions (also tunnelled in a WebSocket, kubectl's default)
 * and WebSocket port-forward channels (`?port=N`, as @kubernetes/client-node uses).
 */
import type { WebSocket, RawData } from 'ws';
import { Duplex } from 'node:stream';
import type { PodWorker } from './pod.js';
import type { SpdySession, SpdyStream } from './spdy.js';

// ---------------------------------------------------------------------------- port-forward

export type Dial = (port: number) => Promise<Duplex>;

function dialError(e: NodeJS.ErrnoException, ip: string, port: number): string {
  const why = e.code === 'ECONNREFUSED' ? 'connect: connection refused' : e.code === 'ETIMEDOUT' ? 'i/o timeout' : e.message;
  return e.message.startsWith('dial tcp') ? e.message : `dial tcp ${ip}:${port}: ${why}`;
}

/** Pipes a forwarded connection: client FIN ends our side, the pod's FIN ends the streams. */
function forward(w: PodWorker, dial: Dial, port: number, data: SpdyStream, error: SpdyStream, log: (m: string) => void): void {
  error.resume();
  dial(port).then(
    (sock) => {
      if (data.destroyed) {
        sock.destroy();
        return;
      }
      let over = false;
      const end = () => {
        if (over) return;
        over = true;
        if (!data.writableEnded && !data.destroyed) data.end();
        if (!error.writableEnded && !error.destroyed) error.end();
      };
      sock.on('error', () => end());
      sock.on('close', () => end());
      sock.on('end', () => end());
      sock.on('data', (d: Buffer) => {
        if (!data.destroyed && !data.writableEnded && !data.write(d)) {
          sock.pause();
          data.once('drain', () => sock.resume());
        }
      });
      data.on('data', (d: Buffer) => {
        if (!sock.destroyed && !sock.writableEnded) sock.write(d);
      });
      data.on('end', () => {
        if (!sock.destroyed && !sock.writableEnded) sock.end();
      });
      data.on('close', () => {
        if (!over) sock.destroy();
      });
    },
    (e: NodeJS.ErrnoException) => {
      const msg = `error forwarding port ${port} to pod ${w.namespace}/${w.name}, uid ${w.uid}: ${dialError(e, w.ip, port)}`;
      log(`port-forward: ${msg}`);
      if (!error.destroyed) error.end(msg);
      if (!data.destroyed && !data.writableEnded) data.end();
    },
  );
}

/**
 * Port-forward over SPDY (plain upgrade or tunnelled in a WebSocket): the client opens an
 * `error` and a `data` stream per connection, paired by `requestid`, both naming the `port`.
 */
export function servePortForward(session: SpdySession, w: PodWorker, dial: Dial, log: (m: string) => void): void {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  session.on('close', () => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
  session.on('stream', (s: SpdyStream) => {
    s.on('error', () => {});
    const type = s.headers.streamtype;
    const port = Number(s.headers.port);
    if ((type !== 'error' && type !== 'data') || !Number.isInteger(port) || port < 1 || port > 65535) {
      log(`port-forward: ${w.namespace}/${w.name}: refusing a stream with streamtype ${JSON.stringify(type)} port ${JSON.stringify(s.headers.port)}`);
      s.destroy();
      return;
    }
    // old clients pair by stream id: error stream N, data stream N+2
    const rid = s.headers.requestid ?? String(type === 'error' ? s.id : s.id - 2);
    let p = pairs.get(rid);
    if (!p) {
      const timer = setTimeout(() => {
        const q = pairs.get(rid);
        pairs.delete(rid);
        q?.error?.destroy();
        q?.data?.destroy();
      }, 30_000);
      timer.unref();
      pairs.set(rid, (p = { timer }));
    }
    p[type] = s;
    if (p.error && p.data) {
      clearTimeout(p.timer);
      pairs.delete(rid);
      forward(w, dial, port, p.data, p.error, log);
    }
  });
}

/**
 * Port-forward over WebSocket channels (`?port=A&port=B`): channel 2i carries port i's data,
 * 2i+1 its errors; each channel's first message is the port (uint16, little endian).
 */
export function webSocketPortForward(ws: WebSocket, protocol: string, ports: number[], w: PodWorker, dial: Dial, log: (m: string) => void): void {
  const base64 = /base64/.test(protocol);
  const send = (ch: number, d: Buffer) => {
    if (ws.readyState !== ws.OPEN) return;
    if (base64) ws.send(String.fromCharCode(48 + ch) + d.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([ch]), d]));
  };
  const socks: (Duplex | undefined)[] = [];
  // what the client sends before the connection to the pod is up
  const early: Buffer[][] = ports.map(() => []);
  let open = ports.length;
  const closeOne = () => {
    if (--open <= 0 && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const pb = Buffer.alloc(2);
    pb.writeUInt16LE(port);
    send(2 * i, pb);
    send(2 * i + 1, pb);
    dial(port).then(
      (sock) => {
        if (ws.readyState !== ws.OPEN) {
          sock.destroy();
          return;
        }
        socks[i] = sock;
        for (const b of early[i]) sock.write(b);
        early[i] = [];
        sock.on('data', (d: Buffer) => send(2 * i, d));
        sock.on('error', () => {});
        sock.on('close', closeOne);
      },
      (e: NodeJS.ErrnoException) => {
        const msg = `error forwarding port ${port} to pod ${w.namespace}/${w.name}, uid ${w.uid}: ${dialError(e, w.ip, port)}`;
        log(`port-forward: ${msg}`);
        send(2 * i + 1, Buffer.from(msg));
        closeOne();
      },
    );
  });
  ws.on('message', (raw: RawData) => {
    let buf = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
    if (buf.length === 0) return;
    let ch = buf[0];
    buf = buf.subarray(1);
    if (base64) {
      ch -= 48;
      buf = Buffer.from(buf.toString('latin1'), 'base64');
    }
    if (ch % 2 !== 0 || ch / 2 >= ports.length) return;
    const sock = socks[ch / 2];
    if (sock) sock.write(buf);
    else early[ch / 2].push(buf);
  });
  ws.on('close', () => {
    for (const s of socks) s?.destroy();
  });
  ws.on('error', () => {});
}
