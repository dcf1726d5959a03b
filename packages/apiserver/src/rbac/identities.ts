/**
 * Credentials for the cluster's own components (controller manager, scheduler, node agents):
 * bearer tokens the server maps to a user and groups, kept in `<pki>/identities.json` (0600) so
 * they survive restarts, and handed to each component as a kubeconfig of its own.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Identity {
  token: string;
  username: string;
  groups: string[];
}

export class IdentityTokens {
  private byUser = new Map<string, Identity>();
  private byToken = new Map<string, Identity>();

  constructor(private readonly file: string) {
    if (!existsSync(file)) return;
    try {
      const list = JSON.parse(readFileSync(file, 'utf8')) as Identity[];
      for (const i of list) if (i && typeof i.token === 'string' && typeof i.username === 'string') this.add({ token: i.token, username: i.username, groups: Array.isArray(i.groups) ? i.groups : [] });
    } catch (e) {
      throw new Error(`${file}: the component identities file is not valid JSON (${(e as Error).message}); remove it to have new tokens made`);
    }
  }

  private add(i: Identity): void {
    this.byUser.set(i.username, i);
    this.byToken.set(i.token, i);
  }

  /** The identity of a token, if it is one of ours. */
  lookup(token: string): Identity | undefined {
    return this.byToken.get(token);
  }

  /** The token of `username` (made and saved the first time; groups updated when they change). */
  ensure(username: string, groups: string[]): Identity {
    const cur = this.byUser.get(username);
    if (cur && JSON.stringify(cur.groups) === JSON.stringify(groups)) return cur;
    if (cur) this.byToken.delete(cur.token);
    const i = { token: cur?.token ?? randomBytes(32).toString('base64url'), username, groups };
    this.add(i);
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify([...this.byUser.values()], null, 1), { mode: 0o600 });
    renameSync(tmp, this.file);
    return i;
  }
}
