/**
 * GPGKeyService: the GnuPG public keys Argo CD verifies commit signatures with, kept as upstream keeps
 * them — ConfigMap `argocd-gpg-keys-cm`, one entry per key, named by its 16-hex-digit key ID, holding the
 * ASCII-armored key. Keys are read with openpgp (key ID, fingerprint, owner, algorithm); private keys and
 * text that is no public key are refused with the reason.
 *
 *   GET    /api/v1/gpgkeys[?keyID=]   list (gpgkeys, get)
 *   GET    /api/v1/gpgkeys/{keyID}    one key
 *   POST   /api/v1/gpgkeys[?upsert=]  add the keys of `keyData` (gpgkeys, create): {created: {items}, skipped}
 *   DELETE /api/v1/gpgkeys?keyID=     remove one (gpgkeys, delete)
 */
import { isNotFound, R } from '@flotilla/kube-runtime';
import type { KubeObject } from '@flotilla/apimachinery';
import { fromKube, invalid, notFound, qbool, type Router } from '../http.js';
import { enforce, type Ctx } from '../context.js';
import { see } from '../store.js';

export const GPG_CM = 'argocd-gpg-keys-cm';

export interface GnuPGPublicKey {
  keyID: string;
  fingerprint: string;
  owner: string;
  trust: string;
  subType: string;
  keyData: string;
}

/** The public keys in an armored block (one or more), described as upstream's API does. */
export async function readPublicKeys(armored: string): Promise<GnuPGPublicKey[]> {
  const openpgp = await import('openpgp');
  let keys;
  try {
    keys = await openpgp.readKeys({ armoredKeys: armored });
  } catch (e) {
    throw invalid(`keyData is not an ASCII-armored OpenPGP public key: ${(e as Error).message}`);
  }
  return keys.map((k) => {
    if (k.isPrivate()) throw invalid(`keyData holds a private key (${k.getKeyID().toHex().toUpperCase()}): only public keys may be added`);
    const alg = k.getAlgorithmInfo() as { algorithm: string; bits?: number; curve?: string };
    const subType = alg.bits ? `${alg.algorithm.replace(/EncryptSign|Sign|Encrypt/, '')}${alg.bits}` : String(alg.curve ?? alg.algorithm).replace(/Legacy$/, '');
    return { keyID: k.getKeyID().toHex().toUpperCase(), fingerprint: k.getFingerprint().toUpperCase(), owner: k.getUserIDs()[0] ?? '', trust: 'unknown', subType, keyData: k.armor() };
  });
}

async function listKeys(ctx: Ctx): Promise<GnuPGPublicKey[]> {
  const out: GnuPGPublicKey[] = [];
  for (const [id, armored] of Object.entries(ctx.store.cm(GPG_CM)).sort(([a], [b]) => a.localeCompare(b))) {
    const k = await readPublicKeys(armored).catch(() => []);
    out.push(k[0] ? { ...k[0], keyID: id } : { keyID: id, fingerprint: '', owner: '', trust: 'unknown', subType: 'unparseable key', keyData: armored });
  }
  return out;
}

async function patchKeys(ctx: Ctx, data: Record<string, string | null>): Promise<void> {
  const ns = ctx.store.namespace;
  try {
    see(ctx.store.cms, await ctx.client.patch(R.configmaps, ns, GPG_CM, { data }, 'merge'));
  } catch (e) {
    if (!isNotFound(e)) throw fromKube(e);
    const obj = { metadata: { name: GPG_CM, namespace: ns, labels: { 'app.kubernetes.io/name': GPG_CM, 'app.kubernetes.io/part-of': 'argocd' } }, data: Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null)) };
    see(ctx.store.cms, await ctx.client.create(R.configmaps, ns, obj as KubeObject).catch((e2) => { throw fromKube(e2); }));
  }
}

export function registerGpgKeys(r: Router, ctx: Ctx): void {
  r.add('GET', '/api/v1/gpgkeys', async (req) => {
    await enforce(ctx, req, 'gpgkeys', 'get', '');
    const id = req.query.get('keyID')?.toUpperCase();
    return { metadata: {}, items: (await listKeys(ctx)).filter((k) => !id || k.keyID === id) };
  });

  r.add('GET', '/api/v1/gpgkeys/{keyID}', async (req) => {
    await enforce(ctx, req, 'gpgkeys', 'get', '');
    const k = (await listKeys(ctx)).find((x) => x.keyID === req.params.keyID.toUpperCase());
    if (!k) throw notFound(`no GnuPG public key with ID ${req.params.keyID}`);
    return k;
  });

  r.add('POST', '/api/v1/gpgkeys', async (req) => {
    await enforce(ctx, req, 'gpgkeys', 'create', '');
    const armored = String(req.body?.keyData ?? '').trim();
    if (!armored) throw invalid('keyData is required: an ASCII-armored public key (-----BEGIN PGP PUBLIC KEY BLOCK-----)');
    const keys = await readPublicKeys(armored);
    const have = ctx.store.cm(GPG_CM);
    const upsert = qbool(req.query, 'upsert') === true;
    const created = keys.filter((k) => upsert || !have[k.keyID]);
    const skipped = keys.filter((k) => !created.includes(k)).map((k) => k.keyID);
    if (created.length) await patchKeys(ctx, Object.fromEntries(created.map((k) => [k.keyID, k.keyData])));
    return { created: { metadata: {}, items: created }, skipped };
  });

  r.add('DELETE', '/api/v1/gpgkeys', async (req) => {
    await enforce(ctx, req, 'gpgkeys', 'delete', '');
    const id = req.query.get('keyID')?.toUpperCase();
    if (!id) throw invalid('keyID is required');
    if (!ctx.store.cm(GPG_CM)[id]) throw notFound(`no GnuPG public key with ID ${id}`);
    await patchKeys(ctx, { [id]: null });
    return {};
  });
}
