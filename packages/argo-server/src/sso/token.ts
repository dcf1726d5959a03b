/**
 * argo-server's own SSO tokens. After a login the browser holds the cookie `authorization=v2:<token>` (the
 * UI shows the same string for `ARGO_TOKEN`). The token is a JWT signed (RS256) with argo-server's private
 * key and then encrypted to it (JWE RSA-OAEP-256 + A256GCM, `cty: JWT`): the claims are neither readable nor
 * forgeable without the key. The key lives in the Secret `sso` (key `privateKey`, PEM) of argo-server's
 * namespace and is created when absent, as upstream does, so every replica and every restart shares it.
 * The short-lived login state cookie is sealed the same way.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { R, type KubeClient } from '@flotilla/kube-runtime';

export const SSO_SECRET = 'sso';
export const SSO_SECRET_KEY = 'privateKey';
export const TOKEN_PREFIX = 'v2:';
/** the `iss` of argo-server's tokens */
export const ARGO_ISSUER = 'argo-server';

export interface Keys {
  priv: KeyObject;
  pub: KeyObject;
}

export function keysFromPem(pem: string): Keys {
  const priv = createPrivateKey(pem);
  if (priv.asymmetricKeyType !== 'rsa') throw new Error(`Secret ${SSO_SECRET} key ${SSO_SECRET_KEY}: want an RSA private key, got ${priv.asymmetricKeyType}`);
  return { priv, pub: createPublicKey(priv) };
}

export function newKeyPem(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/** The key from Secret `sso` in `ns`, creating the Secret when absent (a concurrent creator wins: its key is read). */
export async function loadOrCreateKeys(kube: KubeClient, ns: string): Promise<{ keys: Keys; created: boolean }> {
  const read = async () => {
    const s = await kube.get<any>(R.secrets, ns, SSO_SECRET);
    const v = s.data?.[SSO_SECRET_KEY];
    if (!v) throw new Error(`Secret ${ns}/${SSO_SECRET} has no key "${SSO_SECRET_KEY}" (delete it to have argo-server create a new one)`);
    return keysFromPem(Buffer.from(v, 'base64').toString('utf8'));
  };
  try {
    return { keys: await read(), created: false };
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
  const pem = newKeyPem();
  try {
    await kube.create(R.secrets, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: SSO_SECRET, namespace: ns }, type: 'Opaque', data: { [SSO_SECRET_KEY]: Buffer.from(pem).toString('base64') } } as any);
    return { keys: keysFromPem(pem), created: true };
  } catch (e) {
    if ((e as { code?: number }).code !== 409) throw e;
    return { keys: await read(), created: false };
  }
}

/** Signs then encrypts `claims` (valid `ttlMs` from now). */
export async function seal(keys: Keys, claims: Record<string, unknown>, ttlMs: number, typ = 'JWT'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jws = await new SignJWT(claims as JWTPayload).setProtectedHeader({ alg: 'RS256', typ }).setIssuer(ARGO_ISSUER).setIssuedAt(now).setExpirationTime(now + Math.max(1, Math.round(ttlMs / 1000))).sign(keys.priv);
  return new CompactEncrypt(new TextEncoder().encode(jws)).setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT' }).encrypt(keys.pub);
}

export class TokenError extends Error {}

/** Decrypts and verifies a sealed token (signature, issuer, expiry with 10 s of leeway, `typ`); throws TokenError. */
export async function unseal(keys: Keys, token: string, typ = 'JWT', at?: Date): Promise<JWTPayload & Record<string, unknown>> {
  let jws: string;
  try {
    const { plaintext } = await compactDecrypt(token, keys.priv, { keyManagementAlgorithms: ['RSA-OAEP-256'], contentEncryptionAlgorithms: ['A256GCM'] });
    jws = new TextDecoder().decode(plaintext);
  } catch {
    throw new TokenError('the token does not decrypt with this argo-server\'s key (malformed, tampered with, or from another installation)');
  }
  try {
    const { payload, protectedHeader } = await jwtVerify(jws, keys.pub, { algorithms: ['RS256'], issuer: ARGO_ISSUER, clockTolerance: 10, currentDate: at });
    if (protectedHeader.typ !== typ) throw new TokenError(`the token is a ${protectedHeader.typ}, not a ${typ}`);
    return payload as JWTPayload & Record<string, unknown>;
  } catch (e) {
    if (e instanceof TokenError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') throw new TokenError('the token has expired: log in again');
    throw new TokenError(`the token is not valid: ${(e as Error).message}`);
  }
}
