/**
 * SPDY/3.1 framing, the subset kubectl's spdystream uses: SYN_STREAM/SYN_REPLY, DATA, RST_STREAM,
 * PING, GOAWAY; SETTINGS and WINDOW_UPDATE are accepted and ignored (spdystream does no flow
 * control either). Header blocks are inflated with the SPDY/3 dictionary and our own are sent as
 * stored (uncompressed) deflate blocks, which every zlib reader accepts. See streaming.ts for
 * how the kubelet's streaming endpoints use it.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';

// ------------------------------------------------------------------------------------ SPDY/3

/** The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1). */
const SPDY_DICT: Buffer = (() => {
  const words = [
    'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language', 'accept-ranges', 'age', 'allow',
    'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5',
    'content-range', 'content-type', 'date', 'etag', 'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range',
    'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer', 'retry-after',
    'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning', 'www-authenticate', 'method', 'get', 'status', '200 OK',
    'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
  ];
  const tail =
    '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
    '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden404 Not Found' +
    '500 Internal Server Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ' +
    'Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,' +
    'text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const w of words) {
    const l = Buffer.alloc(4);
    l.writeUInt32BE(w.length);
    parts.push(l, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();
/** zlib header announcing the dictionary: CMF 0x78, FLG 0xbb (FDICT), then its Adler-32. */
const ZLIB_DICT_HEADER = Buffer.from('78bbe3c6a7c2', 'hex');

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 1;
const RST_PROTOCOL_ERROR = 1;
const RST_CANCEL = 5;
const MAX_DATA = 64 * 1024;

/** One zlib inflate context for all header blocks of a session, fed in order. */
class HeaderInflater {
  private z = zlib.createInflate({ dictionary: SPDY_DICT });
  private out: Buffer[] = [];
  private failed: Error | undefined;
  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
    this.z.on('error', (e) => (this.failed = e));
  }
  inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.z.write(block);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.failed) return reject(this.failed);
        const o = Buffer.concat(this.out);
        this.out = [];
        resolve(o);
      });
    });
  }
  close(): void {
    this.z.destroy();
  }
}

function parseHeaderBlock(b: Buffer): Record<string, string> {
  const h: Record<string, string> = {};
  let o = 0;
  const n = b.readUInt32BE(o);
  o += 4;
  for (let i = 0; i < n; i++) {
    const kl = b.readUInt32BE(o);
    o += 4;
    const k = b.subarray(o, o + kl).toString('latin1').toLowerCase();
    o += kl;
    const vl = b.readUInt32BE(o);
    o += 4;
    const v = b.subarray(o, o + vl).toString('utf8');
    o += vl;
    h[k] = v.split('\0')[0];
  }
  return h;
}

/** A SPDY stream opened by the client. Readable: what the client sends; writable: DATA frames. */
export class SpdyStream extends Duplex {
  finSent = false;
  finReceived = false;
  wasReset = false;
  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: Record<string, string>,
  ) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false, cb);
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.finSent = true;
    this.session.sendData(this.id, Buffer.alloc(0), true, cb);
    this.session.maybeForget(this);
  }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.wasReset && !(this.finSent && this.finReceived)) this.session.sendReset(this.id, RST_CANCEL);
    this.session.forget(this);
    cb(err);
  }
  /** the client sent data or FIN */
  receive(data: Buffer, fin: boolean): void {
    if (data.length) this.push(data);
    if (fin && !this.finReceived) {
      this.finReceived = true;
      this.push(null);
      this.session.maybeForget(this);
    }
  }
}

/**
 * The server side of a SPDY/3.1 session over a byte stream (an upgraded socket, or a WebSocket
 * carrying SPDY). Emits `stream` for every stream the client opens (already replied to) and
 * `close` once the transport is gone.
 */
export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private headerSent = false;
  private pumping = false;
  private lastStreamId = 0;
  closed = false;

  constructor(private readonly t: Duplex) {
    super();
    t.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      void this.pump();
    });
    t.on('end', () => this.shutdown());
    t.on('close', () => this.shutdown());
    t.on('error', () => this.shutdown());
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.buf.length >= 8) {
        const len = this.buf.readUInt32BE(4) & 0xffffff;
        if (this.buf.length < 8 + len) break;
        const head = this.buf.subarray(0, 8);
        const payload = this.buf.subarray(8, 8 + len);
        this.buf = this.buf.subarray(8 + len);
        const flags = head[4];
        if (head[0] & 0x80) await this.control(head.readUInt16BE(2), flags, payload);
        else this.data(head.readUInt32BE(0) & 0x7fffffff, flags, payload);
      }
    } catch (e) {
      this.emit('protocolError', e);
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private data(id: number, flags: number, payload: Buffer): void {
    const s = this.streams.get(id);
    if (!s) return;
    // copy: the frame buffer is a view of the receive buffer
    s.receive(Buffer.from(payload), (flags & FLAG_FIN) !== 0);
  }

  private async control(type: number, flags: number, p: Buffer): Promise<void> {
    switch (type) {
      case SYN_STREAM: {
        const id = p.readUInt32BE(0) & 0x7fffffff;
        const headers = parseHeaderBlock(await this.inflater.inflate(p.subarray(10)));
        if (id % 2 === 0 || this.streams.has(id) || id <= this.lastStreamId) {
          this.sendReset(id, RST_PROTOCOL_ERROR);
          return;
        }
        this.lastStreamId = id;
        const s = new SpdyStream(this, id, headers);
        this.streams.set(id, s);
        this.sendReply(id);
        if (flags & FLAG_FIN) s.receive(Buffer.alloc(0), true);
        this.emit('stream', s);
        return;
      }
      case SYN_REPLY:
      case HEADERS:
        // keep the shared inflate context in step; nothing to do with them
        await this.inflater.inflate(p.subarray(4));
        return;
      case RST_STREAM: {
        const s = this.streams.get(p.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.wasReset = true;
          s.destroy();
        }
        return;
      }
      case PING: {
        // echo the client's pings (odd ids); even ids would be answers to ours (we send none)
        if (p.readUInt32BE(0) % 2 === 1) this.write(Buffer.concat([Buffer.from([0x80, 3, 0, PING, 0, 0, 0, 4]), p]));
        return;
      }
      case GOAWAY:
        this.emit('goaway');
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, CREDENTIAL: not used (no flow control on either side)
        return;
    }
  }

  private headerBlock(h: Record<string, string>): Buffer {
    const parts: Buffer[] = [];
    const n = Buffer.alloc(4);
    n.writeUInt32BE(Object.keys(h).length);
    parts.push(n);
    for (const [k, v] of Object.entries(h)) {
      for (const s of [Buffer.from(k.toLowerCase(), 'latin1'), Buffer.from(v, 'utf8')]) {
        const l = Buffer.alloc(4);
        l.writeUInt32BE(s.length);
        parts.push(l, s);
      }
    }
    const raw = Buffer.concat(parts);
    // a stored deflate block (BFINAL 0, BTYPE 00) then the empty stored block that ends every
    // sync flush (00 00 00 ff ff): a reader hands out the data when it reaches the empty block,
    // without reading past the frame
    const stored = Buffer.alloc(5);
    stored[0] = 0;
    stored.writeUInt16LE(raw.length, 1);
    stored.writeUInt16LE(~raw.length & 0xffff, 3);
    const flush = Buffer.from([0, 0, 0, 0xff, 0xff]);
    const out = this.headerSent ? [stored, raw, flush] : [ZLIB_DICT_HEADER, stored, raw, flush];
    this.headerSent = true;
    return Buffer.concat(out);
  }

  private sendReply(id: number): void {
    const block = this.headerBlock({});
    const f = Buffer.alloc(12);
    f.writeUInt32BE((0x80030000 | SYN_REPLY) >>> 0, 0);
    f.writeUInt32BE(4 + block.length, 4);
    f.writeUInt32BE(id, 8);
    this.write(Buffer.concat([f, block]));
  }

  sendData(id: number, data: Buffer, fin: boolean, cb?: (e?: Error | null) => void): void {
    if (this.closed) {
      cb?.(new Error('the SPDY connection is closed'));
      return;
    }
    let off = 0;
    do {
      const n = Math.min(MAX_DATA, data.length - off);
      const last = off + n >= data.length;
      const h = Buffer.alloc(8);
      h.writeUInt32BE(id & 0x7fffffff, 0);
      h.writeUInt32BE(((last && fin ? FLAG_FIN : 0) << 24) | n, 4);
      this.write(Buffer.concat([h, data.subarray(off, off + n)]), last ? cb : undefined);
      off += n;
    } while (off < data.length);
  }

  sendReset(id: number, status: number): void {
    const f = Buffer.alloc(16);
    f.writeUInt32BE((0x80030000 | RST_STREAM) >>> 0, 0);
    f.writeUInt32BE(8, 4);
    f.writeUInt32BE(id & 0x7fffffff, 8);
    f.writeUInt32BE(status, 12);
    this.write(f);
  }

  /** GOAWAY: no more streams will be accepted; the client closes the connection. */
  goAway(): void {
    const f = Buffer.alloc(16);
    f.writeUInt32BE((0x80030000 | GOAWAY) >>> 0, 0);
    f.writeUInt32BE(8, 4);
    f.writeUInt32BE(this.lastStreamId, 8);
    f.writeUInt32BE(0, 12);
    this.write(f);
  }

  private write(b: Buffer, cb?: (e?: Error | null) => void): void {
    if (this.closed || this.t.destroyed || this.t.writableEnded) {
      cb?.();
      return;
    }
    if (cb) this.t.write(b, (e) => cb(e ?? null));
    else this.t.write(b);
  }

  maybeForget(s: SpdyStream): void {
    if (s.finSent && s.finReceived) this.streams.delete(s.id);
  }
  forget(s: SpdyStream): void {
    this.streams.delete(s.id);
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.streams.values()]) {
      s.wasReset = true;
      s.destroy();
    }
    this.streams.clear();
    this.inflater.close();
    // the peer is gone (or half-closed: upgraded sockets allow that): nothing more to say
    if (!this.t.destroyed) this.t.destroy();
    this.emit('close');
  }

  /** closes the transport now */
  destroy(): void {
    this.t.destroy();
    this.shutdown();
  }

  /** ends the transport once written (the client may still be reading) */
  end(): void {
    if (!this.t.writableEnded) this.t.end();
  }
}
