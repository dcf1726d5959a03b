/**
 * Encryption at rest for Secrets, opt-in: `<data-dir>/encryption-config.yaml`, a Kubernetes
 * `EncryptionConfiguration` (apiserver.config.k8s.io/v1) whose `resources` entry for `secrets`
 * lists providers in order — `aesgcm` or `aescbc` with 32-byte (or 16/24-byte) base64 keys, and
 * `identity`. The first provider encrypts new writes (stored as
 * `k8s:enc:<aesgcm|aescbc>:v1:<key name>:<base64>`); every listed key decrypts; rows written
 * before encryption was enabled (plain JSON) stay readable and are encrypted when next written.
 * Only the database rows are encrypted: objects in memory and on the wire are plain.
 */
import { createCipheriv, createDecipheriv, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import YAML from 'yaml';

export const ENCRYPTION_CONFIG_FILE = 'encryption-config.yaml';

/** What the store applies to the `data` column of a resource's rows. */
export interface RowTransformer {
  encode(res: string, json: string): string;
  decode(res: string, data: string): string;
}

type Kind = 'aesgcm' | 'aescbc';
interface Key {
  kind: Kind;
  name: string;
  secret: Buffer;
}

const PREFIX = 'k8s:enc:';

function parseConfig(text: string, file: string): { write?: Key; keys: Key[] } {
  const bad = (m: string) => new Error(`${file}: ${m}`);
  let cfg: any;
  try {
    cfg = YAML.parse(text, { maxAliasCount: 10 });
  } catch (e) {
    throw bad(`not valid YAML: ${(e as Error).message}`);
  }
  if (cfg?.kind !== 'EncryptionConfiguration') throw bad('kind must be EncryptionConfiguration');
  const resources: any[] = Array.isArray(cfg.resources) ? cfg.resources : [];
  const entries = resources.filter((r) => Array.isArray(r?.resources) && (r.resources.includes('secrets') || r.resources.includes('secrets.')));
  for (const r of resources)
    for (const x of Array.isArray(r?.resources) ? r.resources : [])
      if (x !== 'secrets' && x !== 'secrets.') throw bad(`resources: only "secrets" can be encrypted here, not "${x}"`);
  if (entries.length !== 1) throw bad('needs exactly one resources entry for "secrets"');
  const providers: any[] = Array.isArray(entries[0].providers) ? entries[0].providers : [];
  if (!providers.length) throw bad('resources[secrets].providers is empty');
  const keys: Key[] = [];
  let write: Key | undefined;
  providers.forEach((p, i) => {
    const kind = Object.keys(p ?? {})[0];
    if (kind === 'identity') return;
    if (kind !== 'aesgcm' && kind !== 'aescbc') throw bad(`providers[${i}]: "${kind}" is not supported (aesgcm, aescbc, identity)`);
    const ks: any[] = Array.isArray(p[kind]?.keys) ? p[kind].keys : [];
    if (!ks.length) throw bad(`providers[${i}].${kind}.keys is empty`);
    ks.forEach((k, j) => {
      const secret = Buffer.from(String(k?.secret ?? ''), 'base64');
      if (typeof k?.name !== 'string' || !k.name || k.name.includes(':')) throw bad(`providers[${i}].${kind}.keys[${j}].name must be a non-empty name without ":"`);
      if (![16, 24, 32].includes(secret.length)) throw bad(`providers[${i}].${kind}.keys[${j}].secret must be 16, 24 or 32 bytes, base64-encoded (got ${secret.length})`);
      keys.push({ kind, name: k.name, secret });
    });
  });
  const first = Object.keys(providers[0] ?? {})[0];
  if (first !== 'identity') write = keys[0];
  return { write, keys };
}

function encrypt(k: Key, plain: Buffer): Buffer {
  if (k.kind === 'aesgcm') {
    const iv = randomBytes(12);
    const c = createCipheriv(`aes-${k.secret.length * 8}-gcm` as CipherGCMTypes, k.secret, iv);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([iv, body, c.getAuthTag()]);
  }
  const iv = randomBytes(16);
  const c = createCipheriv(`aes-${k.secret.length * 8}-cbc`, k.secret, iv);
  return Buffer.concat([iv, c.update(plain), c.final()]);
}

function decrypt(k: Key, data: Buffer): Buffer {
  if (k.kind === 'aesgcm') {
    const d = createDecipheriv(`aes-${k.secret.length * 8}-gcm` as CipherGCMTypes, k.secret, data.subarray(0, 12));
    d.setAuthTag(data.subarray(data.length - 16));
    return Buffer.concat([d.update(data.subarray(12, data.length - 16)), d.final()]);
  }
  const d = createDecipheriv(`aes-${k.secret.length * 8}-cbc`, k.secret, data.subarray(0, 16));
  return Buffer.concat([d.update(data.subarray(16)), d.final()]);
}

/** The transformer of `file`, or undefined when there is no such file (encryption off). Throws naming what is wrong. */
export function loadEncryption(file: string): RowTransformer | undefined {
  if (!existsSync(file)) return undefined;
  const { write, keys } = parseConfig(readFileSync(file, 'utf8'), file);
  const applies = (res: string) => res === 'core/secrets';
  return {
    encode(res, json) {
      if (!write || !applies(res)) return json;
      return `${PREFIX}${write.kind}:v1:${write.name}:${encrypt(write, Buffer.from(json)).toString('base64')}`;
    },
    decode(res, data) {
      if (!data.startsWith(PREFIX)) return data;
      const m = /^k8s:enc:(aesgcm|aescbc):v1:([^:]+):(.*)$/s.exec(data);
      const k = m && keys.find((x) => x.kind === m[1] && x.name === m[2]);
      if (!m || !k) throw new Error(`${res}: a row is encrypted with ${data.slice(0, 60).split(':').slice(2, 5).join(':')}, which ${file} does not list`);
      return decrypt(k, Buffer.from(m[3], 'base64')).toString();
    },
  };
}
