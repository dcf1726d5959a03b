// The Sprig function library (https://masterminds.github.io/sprig/), reimplemented in TypeScript.
import type { FuncMap } from '../funcs.js';
import { GoTime } from '../time.js';
import { collectionFuncs } from './collections.js';
import { cryptoFuncs } from './crypto.js';
import { dateFuncs, type Clock } from './dates.js';
import { mathFuncs } from './math.js';
import { miscFuncs } from './misc.js';
import { semverFuncs } from './semver.js';
import { stringFuncs } from './strings.js';

export interface SprigOptions {
  /** Environment visible to env/expandenv. Default: none (both return empty strings). */
  env?: Record<string, string>;
  /** Clock for now/ago/date (tests can freeze time). */
  now?: () => GoTime;
}

/** Names of Sprig functions that are not implemented by this package. */
export const SPRIG_NOT_IMPLEMENTED = [
  'derivePassword',
  'buildCustomCert',
  'genCA',
  'genCAWithKey',
  'genSelfSignedCert',
  'genSelfSignedCertWithKey',
  'genSignedCert',
  'genSignedCertWithKey',
  'getHostByName',
] as const;

/** Returns a fresh map of all implemented Sprig functions. */
export function sprigFuncs(opts: SprigOptions = {}): FuncMap {
  const clock: Clock = { now: opts.now ?? (() => GoTime.now()) };
  return {
    ...stringFuncs(),
    ...mathFuncs(),
    ...collectionFuncs(),
    ...miscFuncs(opts.env),
    ...cryptoFuncs(),
    ...dateFuncs(clock),
    ...semverFuncs(),
  };
}
