/**
 * Secret values never leave the engine: `data` (and `stringData`) values of Secrets are replaced
 * with runs of `+` (a character base64 never produces alone as a value), the same run for equal
 * values of a key on both sides and a longer one for each different value, so a diff still shows
 * which keys changed without showing what they hold.
 */
import type { KubeObject } from '../types.js';
import { clone, isObj } from './jsonutil.js';
import { groupOf } from './normalize.js';

const BASE_MASK = 8;
const MASK_STEP = 4;

export function isSecret(obj: KubeObject | null | undefined): boolean {
  return !!obj && obj.kind === 'Secret' && groupOf(obj) === '';
}

/**
 * Masks the Secrets among `objs` (copies; nulls pass through). Values are compared per key across
 * all the given objects: equal values get equal masks.
 */
export function maskSecret<T extends (KubeObject | null | undefined)[]>(...objs: T): T {
  const out = objs.map((o) => (isSecret(o) ? clone(o) : o)) as T;
  const perKey = new Map<string, Map<string, string>>();
  const maskOf = (key: string, value: string) => {
    let m = perKey.get(key);
    if (!m) perKey.set(key, (m = new Map()));
    let r = m.get(value);
    if (!r) m.set(value, (r = '+'.repeat(BASE_MASK + MASK_STEP * m.size)));
    return r;
  };
  for (const o of out) {
    if (!isSecret(o)) continue;
    for (const field of ['data', 'stringData'] as const) {
      const d = (o as KubeObject)[field];
      if (!isObj(d)) continue;
      for (const k of Object.keys(d)) d[k] = maskOf(k, String(d[k]));
    }
    const ann = (o as KubeObject).metadata?.annotations;
    if (ann && 'kubectl.kubernetes.io/last-applied-configuration' in ann) ann['kubectl.kubernetes.io/last-applied-configuration'] = maskOf('\0last-applied', ann['kubectl.kubernetes.io/last-applied-configuration']);
  }
  return out;
}
