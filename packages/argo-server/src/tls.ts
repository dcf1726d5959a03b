/**
 * The server's certificate: the Secret `--tls-certificate-secret-name` names (tls.crt / tls.key, in the
 * server's namespace), else a self-signed one made in memory at start (as upstream: nothing written).
 */
import { generate } from 'selfsigned';
import { X509Certificate } from 'node:crypto';
import { R, type KubeClient } from '@flotilla/kube-runtime';

export interface KeyPair {
  cert: string;
  key: string;
  source: string;
}

export async function selfSigned(namespace: string): Promise<KeyPair> {
  const names = ['localhost', 'argo-server', `argo-server.${namespace}`, `argo-server.${namespace}.svc`, `argo-server.${namespace}.svc.cluster.local`];
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'ArgoProj' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...names.map((value) => ({ type: 2 as const, value })), { type: 7 as const, ip: '127.0.0.1' }, { type: 7 as const, ip: '::1' }] },
    ],
  } as any);
  return { cert: pems.cert, key: pems.private, source: 'self-signed (generated in memory)' };
}

export async function keyPair(kube: KubeClient, namespace: string, secretName: string | undefined): Promise<KeyPair> {
  if (!secretName) return selfSigned(namespace);
  const s = await kube.get<any>(R.secrets, namespace, secretName).catch((e) => {
    throw new Error(`--tls-certificate-secret-name: reading Secret ${namespace}/${secretName}: ${(e as Error).message}`);
  });
  const dec = (k: string) => (s.data?.[k] ? Buffer.from(s.data[k], 'base64').toString('utf8') : s.stringData?.[k]);
  const cert = dec('tls.crt');
  const key = dec('tls.key');
  if (!cert || !key) throw new Error(`--tls-certificate-secret-name: Secret ${namespace}/${secretName} needs tls.crt and tls.key`);
  try {
    new X509Certificate(cert);
  } catch (e) {
    throw new Error(`--tls-certificate-secret-name: Secret ${namespace}/${secretName}: tls.crt is not a PEM certificate: ${(e as Error).message}`);
  }
  return { cert, key, source: `secret ${namespace}/${secretName}` };
}
