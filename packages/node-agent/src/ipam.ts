/**
 * Pod addresses: each pod gets its own loopback address in 127.1.0.0 – 127.254.255.254. The
 * default node starts at 127.1.0.2; other node names start elsewhere in the range (by a hash of
 * the name), so several agents on one host rarely hand out the same address.
 */
export class Ipam {
  private readonly used = new Set<string>();
  private next = 0;
  private readonly size: number;
  private readonly ipOf: (i: number) => string;

  /**
   * `loopback`: pods share the host's network namespace (see above). `pod-cidr`: pods have their
   * own network namespaces on the node bridge: 10.244.0.2 – 10.244.255.254 (10.244.0.1 is the bridge).
   */
  constructor(nodeName = 'flotilla-node', range: 'loopback' | 'pod-cidr' = 'loopback') {
    this.size = range === 'loopback' ? 254 * 65536 : 65536;
    this.ipOf = range === 'loopback' ? Ipam.toIp : (i) => `10.244.${i >> 8}.${i & 255}`;
    if (range === 'loopback' && nodeName !== 'flotilla-node') {
      let h = 0;
      for (const ch of nodeName) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      this.next = (1 + (h % 253)) * 65536;
    }
  }

  static toIp(i: number): string {
    const a = 1 + Math.floor(i / 65536);
    const rem = i % 65536;
    return `127.${a}.${rem >> 8}.${rem & 255}`;
  }

  reserve(ip: string): void {
    this.used.add(ip);
  }

  allocate(): string {
    for (let n = 0; n < this.size; n++) {
      const i = (this.next + n) % this.size;
      const rem = i % 65536;
      // skip x.x.x.0, x.x.x.1 and x.x.x.255
      if ((rem & 255) < 2 || (rem & 255) === 255) continue;
      const ip = this.ipOf(i);
      if (!this.used.has(ip)) {
        this.used.add(ip);
        this.next = i + 1;
        return ip;
      }
    }
    throw new Error('pod address range exhausted');
  }

  release(ip: string | undefined): void {
    if (ip) this.used.delete(ip);
  }
}
