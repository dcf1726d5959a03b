/** Secrets for artifacts and http templates: the mounted file first, the API (loaded only then) second. */
import { existsSync, readFileSync } from 'node:fs';
import { SECRETS_DIR, local } from './paths.js';
import type { SecretKeySelector, SecretReader } from './artifacts/types.js';

/**
 * Reads a Secret's key: the file the controller mounted (upstream's /argo/secret/<name>/<key>,
 * which needs no RBAC), else the Secret through the API with the pod's service account.
 */
export function secretReader(namespace: string): SecretReader {
  const cache = new Map<string, Record<string, string>>();
  return async (sel: SecretKeySelector) => {
    const file = local(`${SECRETS_DIR}/${sel.name}/${sel.key}`);
    if (existsSync(file)) return readFileSync(file, 'utf8');
    let data = cache.get(sel.name);
    if (!data) {
      try {
        const { kube, R } = await import('./kube.js');
        const s = await kube().get<{ data?: Record<string, string>; stringData?: Record<string, string> } & Record<string, any>>(R.secrets, namespace, sel.name);
        data = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
        cache.set(sel.name, data);
      } catch (e) {
        throw new Error(`failed to read secret ${namespace}/${sel.name}: ${(e as Error).message}`);
      }
    }
    if (data[sel.key] === undefined) {
      if (sel.optional) return '';
      throw new Error(`secret ${namespace}/${sel.name} has no key ${sel.key}`);
    }
    return data[sel.key];
  };
}

