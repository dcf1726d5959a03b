/** Small parsers for argocd-cm values: Go durations, booleans, comma lists, globs, group_kind keys. */

const DURATION_UNITS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * Parses a Go duration ("180s", "3m", "1h30m", "1.5h", "0") into seconds. A bare number is taken as
 * seconds (argocd-cm values are often written that way). Throws with a message naming the value.
 */
export function parseDurationSeconds(v: string): number {
  const s = v.trim();
  if (/^[+-]?\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let pos = 0;
  const neg = s.startsWith('-');
  const body = s.replace(/^[+-]/, '');
  re.lastIndex = 0;
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== body.length || body.length === 0) throw new Error(`invalid duration ${JSON.stringify(v)} (want e.g. "180s", "3m", "1h30m")`);
  return neg ? -total : total;
}

/** Go's strconv.ParseBool. */
export function parseBool(v: string): boolean {
  const s = v.trim();
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`invalid boolean ${JSON.stringify(v)} (want true or false)`);
}

export function parseList(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

const globCache = new Map<string, RegExp>();

/** Shell-style glob (`*`, `?`, `[...]`) as Argo CD matches group, kind and cluster patterns. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === value || pattern === '*') return true;
  if (!/[*?[]/.test(pattern)) return false;
  let re = globCache.get(pattern);
  if (!re) {
    let src = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i];
      if (c === '*') src += '.*';
      else if (c === '?') src += '.';
      else if (c === '[') {
        const end = pattern.indexOf(']', i + 1);
        if (end < 0) src += '\\[';
        else {
          let cls = pattern.slice(i + 1, end);
          if (cls.startsWith('!')) cls = '^' + cls.slice(1);
          src += `[${cls.replace(/\\/g, '\\\\')}]`;
          i = end;
        }
      } else src += c.replace(/[.+^${}()|\\/]/g, '\\$&');
    }
    re = new RegExp(`^${src}$`);
    globCache.set(pattern, re);
  }
  return re.test(value);
}

/** `argoproj.io_Rollout` → `argoproj.io/Rollout`; `ConfigMap` → `ConfigMap` (core group); `all` → `*\/*`. */
export function splitKeyToOverrideKey(groupKind: string): string {
  if (groupKind === 'all') return '*/*';
  const i = groupKind.lastIndexOf('_');
  if (i < 0) return groupKind;
  return `${groupKind.slice(0, i)}/${groupKind.slice(i + 1)}`;
}

/** The key of `ArgoSettings.resourceOverrides` for a group and kind (core group: the kind alone). */
export function overrideKey(group: string | undefined, kind: string): string {
  return group ? `${group}/${kind}` : kind;
}
