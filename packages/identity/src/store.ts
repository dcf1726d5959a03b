/**
 * The broker's storage (Dex's `storage: memory`, as Argo CD configures it): one in-memory map shared
 * by every oidc-provider instance the broker builds (a configuration reload or a key rotation makes a
 * new instance; sessions, codes and refresh tokens carry over). Entries expire; a sweep drops them.
 */
import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * The models whose entries a grant's revocation removes (as oidc-provider's reference adapter): tokens
 * only. An Interaction or a Session names a grantId too, but revoking the previous user's grant on
 * logout must not drop the interaction the next user is completing.
 */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

interface Entry {
  payload: AdapterPayload;
  exp: number;
}

export class MemoryStore {
  private readonly entries = new Map<string, Entry>();
  private readonly grants = new Map<string, Set<string>>();
  private readonly uids = new Map<string, string>();
  private readonly userCodes = new Map<string, string>();
  private ops = 0;

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.entries.size;
  }

  /** an oidc-provider adapter class over this store */
  adapter(): new (name: string) => Adapter {
    const store = this;
    return class implements Adapter {
      constructor(private readonly name: string) {}
      private k(id: string) {
        return `${this.name}:${id}`;
      }
      async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        store.put(this.k(id), payload, expiresIn);
        if (payload.grantId && GRANTABLE.has(this.name)) {
          let s = store.grants.get(payload.grantId);
          if (!s) store.grants.set(payload.grantId, (s = new Set()));
          s.add(this.k(id));
        }
        if (payload.uid) store.uids.set(`${this.name}:${payload.uid}`, id);
        if (payload.userCode) store.userCodes.set(`${this.name}:${payload.userCode}`, id);
      }
      async find(id: string) {
        return store.get(this.k(id));
      }
      async findByUid(uid: string) {
        const id = store.uids.get(`${this.name}:${uid}`);
        return id === undefined ? undefined : store.get(this.k(id));
      }
      async findByUserCode(code: string) {
        const id = store.userCodes.get(`${this.name}:${code}`);
        return id === undefined ? undefined : store.get(this.k(id));
      }
      async consume(id: string) {
        const e = store.entries.get(this.k(id));
        if (e) e.payload.consumed = Math.floor(store.now() / 1000);
      }
      async destroy(id: string) {
        store.entries.delete(this.k(id));
      }
      async revokeByGrantId(grantId: string) {
        for (const k of store.grants.get(grantId) ?? []) store.entries.delete(k);
        store.grants.delete(grantId);
      }
    };
  }

  private put(key: string, payload: AdapterPayload, expiresIn: number) {
    this.entries.set(key, { payload, exp: expiresIn ? this.now() + expiresIn * 1000 : Infinity });
    if (++this.ops % 500 === 0) this.sweep();
  }

  private get(key: string): AdapterPayload | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.exp <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.payload;
  }

  /** drops expired entries and the index entries pointing at nothing */
  sweep(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.exp <= t) this.entries.delete(k);
    for (const [g, keys] of this.grants) {
      for (const k of keys) if (!this.entries.has(k)) keys.delete(k);
      if (!keys.size) this.grants.delete(g);
    }
    for (const [k, id] of this.uids) if (!this.entries.has(`${k.slice(0, k.indexOf(':'))}:${id}`)) this.uids.delete(k);
    for (const [k, id] of this.userCodes) if (!this.entries.has(`${k.slice(0, k.indexOf(':'))}:${id}`)) this.userCodes.delete(k);
  }
}
