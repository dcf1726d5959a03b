/**
 * The webhook's certificates, generated as upstream's webhook does on start: a CA and a serving
 * certificate for `<service>.<namespace>.svc` signed by it (ECDSA P-256, one year); the CA goes
 * into the ValidatingWebhookConfiguration's caBundle.
 */
import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface WebhookCerts {
  caCert: string;
  serverCert: string;
  serverKey: string;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

export function serviceNames(service: string, namespace: string): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
}

export async function generateCerts(service: string, namespace: string, days = 365): Promise<WebhookCerts> {
  const now = Date.now();
  const caKeys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(8).toString('hex'),
    name: 'CN=argo-events-webhook-ca,O=argoproj.io',
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + days * 86400_000),
    keys: caKeys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = serviceNames(service, namespace);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomBytes(8).toString('hex'),
    subject: `CN=${names[2]}`,
    issuer: ca.subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + days * 86400_000),
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return { caCert: ca.toString('pem') + '\n', serverCert: cert.toString('pem') + '\n', serverKey: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) };
}

/** Whether stored certificates are usable: they parse, name the service, and are valid for another week. */
export function certsUsable(c: Partial<WebhookCerts>, service: string, namespace: string): boolean {
  if (!c.caCert || !c.serverCert || !c.serverKey) return false;
  try {
    const x = new X509Certificate(c.serverCert);
    if (new Date(x.validTo).getTime() < Date.now() + 7 * 86400_000) return false;
    if (!x.checkHost(`${service}.${namespace}.svc`)) return false;
    const ca = new X509Certificate(c.caCert);
    return x.checkIssued(ca) && x.verify(ca.publicKey);
  } catch {
    return false;
  }
}
