/**
 * Certificates and keys kept in the data directory: a CA, the API server's serving certificate
 * (signed by the CA, valid for loopback and the in-cluster service names), the admin bearer token,
 * and the key that signs ServiceAccount tokens. Generated on first start, reused afterwards; every
 * file 0600 in a 0700 directory (certificates too: nothing here is for other local users).
 */
import { webcrypto, randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminToken: string;
  saKey: string; // PEM private key (EC P-256) for ServiceAccount JWTs
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** Writes a file atomically (temp + rename) so a crash never leaves half a key behind. */
function writeAtomic(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

export async function loadOrCreatePki(dir: string, extraSans: string[] = []): Promise<Pki> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (n: string) => join(dir, n);
  if (!existsSync(f('ca.crt')) || !existsSync(f('ca.key'))) {
    const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString('hex'),
      name: 'CN=flotilla-ca',
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 10 * 365 * 86400_000),
      keys: keys as webcrypto.CryptoKeyPair,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
        await x509.SubjectKeyIdentifierExtension.create((keys as webcrypto.CryptoKeyPair).publicKey),
      ],
    });
    writeAtomic(f('ca.key'), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', (keys as webcrypto.CryptoKeyPair).privateKey)));
    writeAtomic(f('ca.crt'), cert.toString('pem') + '\n');
  }
  const sans = ['localhost', '127.0.0.1', '::1', '10.96.0.1', 'host.flotilla.internal', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', ...extraSans];
  const sansFile = f('server.sans');
  const wantSans = sans.join(',');
  if (!existsSync(f('server.crt')) || !existsSync(f('server.key')) || !existsSync(sansFile) || readFileSync(sansFile, 'utf8') !== wantSans) {
    const caCert = new x509.X509Certificate(readFileSync(f('ca.crt'), 'utf8'));
    const caKey = await webcrypto.subtle.importKey('pkcs8', pemToDer(readFileSync(f('ca.key'), 'utf8')), alg, false, ['sign']);
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomBytes(8).toString('hex'),
      subject: 'CN=flotilla-apiserver',
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 5 * 365 * 86400_000),
      signingKey: caKey,
      publicKey: keys.publicKey,
      signingAlgorithm: alg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          sans.map((s) => (/^[0-9.]+$|:/.test(s) ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s })),
        ),
      ],
    });
    writeAtomic(f('server.key'), pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)));
    writeAtomic(f('server.crt'), cert.toString('pem') + '\n');
    writeAtomic(sansFile, wantSans);
  }
  if (!existsSync(f('admin.token'))) writeAtomic(f('admin.token'), randomBytes(32).toString('base64url'));
  if (!existsSync(f('sa.key'))) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeAtomic(f('sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  }
  return {
    caCert: readFileSync(f('ca.crt'), 'utf8'),
    serverCert: readFileSync(f('server.crt'), 'utf8'),
    serverKey: readFileSync(f('server.key'), 'utf8'),
    adminToken: readFileSync(f('admin.token'), 'utf8').trim(),
    saKey: readFileSync(f('sa.key'), 'utf8'),
  };
}

function pemToDer(p: string): ArrayBuffer {
  const b = Buffer.from(p.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}
