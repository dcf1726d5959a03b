/**
 * The server's certificate as upstream picks it: Secret `argocd-server-tls` (tls.crt/tls.key) when it
 * exists, else `tls.crt`/`tls.key` of argocd-secret, generated self-signed into argocd-secret when missing.
 */
import { generate } from 'selfsigned';
import { X509Certificate } from 'node:crypto';
import type { Store } from './store.js';
import { SECRET } from './store.js';

export interface KeyPair {
  cert: string;
  key: string;
  source: string;
}

export function currentKeyPair(store: Store): KeyPair | undefined {
  const tls = store.secret(SECRET.tls);
  if (tls['tls.crt'] && tls['tls.key']) return { cert: tls['tls.crt'], key: tls['tls.key'], source: `secret ${SECRET.tls}` };
  const s = store.secret(SECRET.argocd);
  if (s['tls.crt'] && s['tls.key']) return { cert: s['tls.crt'], key: s['tls.key'], source: `secret ${SECRET.argocd}` };
  return undefined;
}

export async function selfSigned(namespace: string): Promise<{ cert: string; key: string }> {
  const names = ['localhost', 'argocd-server', `argocd-server.${namespace}`, `argocd-server.${namespace}.svc`, `argocd-server.${namespace}.svc.cluster.local`];
  const notAfter = new Date(Date.now() + 365 * 24 * 3600 * 1000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Argo CD' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }] },
    ],
  } as any);
  return { cert: pems.cert, key: pems.private };
}

/** The key pair to serve with, generating one into argocd-secret when none is there (or it does not parse). */
export async function ensureKeyPair(store: Store): Promise<KeyPair> {
  const kp = currentKeyPair(store);
  if (kp) {
    try {
      new X509Certificate(kp.cert);
      return kp;
    } catch {
      if (kp.source.includes(SECRET.tls)) throw new Error(`${kp.source}: tls.crt does not parse as a PEM certificate`);
    }
  }
  const { cert, key } = await selfSigned(store.namespace);
  await store.patchArgoSecret({ 'tls.crt': cert, 'tls.key': key });
  return { cert, key, source: `secret ${SECRET.argocd} (generated, self-signed)` };
}
