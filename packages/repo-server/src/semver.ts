/**
 * Semantic versions and version-range constraints in the dialect Helm and Argo CD accept:
 * `1.2.3`, `v1.2`, `1.2.*`, `1.x`, `*`, `>=1.2.0 <1.3.0`, `>=1.0, <2.0`, `~1.2.3`, `^1.2`,
 * `1.2 - 1.4.5`, alternatives with `||`. Pre-releases only satisfy a constraint group that itself
 * mentions a pre-release (`*-0`, `>=1.2.0-0`).
 */
export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
  build: string;
  raw: string;
}

const VERSION_RE = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/;

export function parseVersion(s: string): SemVer | undefined {
  const m = VERSION_RE.exec(s.trim());
  if (!m) return undefined;
  return {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    patch: Number(m[3] ?? 0),
    prerelease: m[4] ? m[4].split('.') : [],
    build: m[5] ?? '',
    raw: s,
  };
}

function cmpIdent(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareVersions(a: SemVer, b: SemVer): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (!a.prerelease.length && !b.prerelease.length) return 0;
  if (!a.prerelease.length) return 1;
  if (!b.prerelease.length) return -1;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    if (i >= a.prerelease.length) return -1;
    if (i >= b.prerelease.length) return 1;
    const c = cmpIdent(a.prerelease[i]!, b.prerelease[i]!);
    if (c) return c;
  }
  return 0;
}

type Op = '=' | '!=' | '>' | '>=' | '<' | '<=';
interface Comparator {
  op: Op;
  v: SemVer;
}
interface Group {
  comparators: Comparator[];
  allowPrerelease: boolean;
}

export class Constraint {
  private constructor(
    private readonly groups: Group[],
    readonly raw: string,
  ) {}

  static parse(raw: string): Constraint | undefined {
    const groups: Group[] = [];
    for (const part of raw.split('||')) {
      const g = parseGroup(part.trim());
      if (!g) return undefined;
      groups.push(g);
    }
    return groups.length ? new Constraint(groups, raw) : undefined;
  }

  satisfiedBy(v: SemVer): boolean {
    return this.groups.some((g) => {
      if (v.prerelease.length && !g.allowPrerelease) return false;
      return g.comparators.every((c) => test(c, v));
    });
  }
}

function test(c: Comparator, v: SemVer): boolean {
  const d = compareVersions(v, c.v);
  switch (c.op) {
    case '=':
      return d === 0;
    case '!=':
      return d !== 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
  }
}

const mk = (major: number, minor: number, patch: number, prerelease: string[] = []): SemVer => ({
  major,
  minor,
  patch,
  prerelease,
  build: '',
  raw: `${major}.${minor}.${patch}`,
});

interface Partial {
  parts: (number | undefined)[]; // undefined = wildcard / missing
  prerelease: string[];
}

const PARTIAL_RE = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parsePartial(s: string): Partial | undefined {
  const m = PARTIAL_RE.exec(s);
  if (!m) return undefined;
  const num = (x: string | undefined) => (x === undefined || /^[xX*]$/.test(x) ? undefined : Number(x));
  const parts = [num(m[1]), num(m[2]), num(m[3])];
  // Once a part is a wildcard, everything after it is too.
  for (let i = 1; i < 3; i++) if (parts[i - 1] === undefined) parts[i] = undefined;
  return { parts, prerelease: m[4] ? m[4].split('.') : [] };
}

function lower(p: Partial): SemVer {
  return mk(p.parts[0] ?? 0, p.parts[1] ?? 0, p.parts[2] ?? 0, p.prerelease);
}

/** The exclusive upper bound of an x-range (`1.2.x` → 1.3.0-0), undefined for `*`. */
function upperOfX(p: Partial): SemVer | undefined {
  const [a, b, c] = p.parts;
  if (a === undefined) return undefined;
  if (b === undefined) return mk(a + 1, 0, 0, ['0']);
  if (c === undefined) return mk(a, b + 1, 0, ['0']);
  return undefined;
}

function expand(op: string, p: Partial): Comparator[] | undefined {
  const [a, b, c] = p.parts;
  const lo = lower(p);
  const wild = a === undefined || b === undefined || c === undefined;
  switch (op) {
    case '':
    case '=': {
      if (!wild) return [{ op: '=', v: lo }];
      const up = upperOfX(p);
      return up ? [{ op: '>=', v: lo }, { op: '<', v: up }] : [{ op: '>=', v: mk(0, 0, 0, p.prerelease) }];
    }
    case '!=':
      if (!wild) return [{ op: '!=', v: lo }];
      return []; // "!= 1.x" cannot be expressed as a single interval; treat as no restriction
    case '>':
      if (!wild) return [{ op: '>', v: lo }];
      if (a === undefined) return [{ op: '<', v: mk(0, 0, 0) }]; // > * : nothing
      return [{ op: '>=', v: upperOfX(p)! }];
    case '>=':
      return [{ op: '>=', v: lo }];
    case '<':
      return [{ op: '<', v: a === undefined ? mk(0, 0, 0) : lo }];
    case '<=':
    case '=<':
      if (!wild) return [{ op: '<=', v: lo }];
      if (a === undefined) return [{ op: '>=', v: mk(0, 0, 0) }];
      return [{ op: '<', v: upperOfX(p)! }];
    case '~':
    case '~>': {
      if (a === undefined) return [{ op: '>=', v: mk(0, 0, 0, p.prerelease) }];
      const up = b === undefined ? mk(a + 1, 0, 0, ['0']) : mk(a, b + 1, 0, ['0']);
      return [{ op: '>=', v: lo }, { op: '<', v: up }];
    }
    case '^': {
      if (a === undefined) return [{ op: '>=', v: mk(0, 0, 0, p.prerelease) }];
      let up: SemVer;
      if (a > 0 || b === undefined) up = mk(a + 1, 0, 0, ['0']);
      else if (b > 0 || c === undefined) up = mk(0, b + 1, 0, ['0']);
      else up = mk(0, 0, (c ?? 0) + 1, ['0']);
      return [{ op: '>=', v: lo }, { op: '<', v: up }];
    }
  }
  return undefined;
}

function parseGroup(s: string): Group | undefined {
  if (s === '') s = '*';
  const comparators: Comparator[] = [];
  let allowPrerelease = false;
  // Hyphen range: "1.2 - 1.4.5"
  const hy = /^(\S+)\s+-\s+(\S+)$/.exec(s);
  if (hy) {
    const a = parsePartial(hy[1]!);
    const b = parsePartial(hy[2]!);
    if (!a || !b) return undefined;
    comparators.push({ op: '>=', v: lower(a) });
    const up = upperOfX(b);
    comparators.push(up ? { op: '<', v: up } : { op: '<=', v: lower(b) });
    return { comparators, allowPrerelease: a.prerelease.length > 0 || b.prerelease.length > 0 };
  }
  // Join an operator separated from its version by spaces (">= 1.2") before splitting.
  const tokens = s
    .replace(/(>=|<=|=<|!=|~>|>|<|=|~|\^)\s+/g, '$1')
    .split(/[\s,]+/)
    .filter(Boolean);
  for (const t of tokens) {
    const m = /^(>=|<=|=<|!=|~>|>|<|=|~|\^)?(.*)$/.exec(t)!;
    const p = parsePartial(m[2]!);
    if (!p) return undefined;
    if (p.prerelease.length) allowPrerelease = true;
    const cs = expand(m[1] ?? '', p);
    if (!cs) return undefined;
    comparators.push(...cs);
  }
  return { comparators, allowPrerelease };
}

/** True when `s` reads as a range rather than one exact version or an ordinary ref name. */
export function looksLikeConstraint(s: string): boolean {
  if (!/[*^~<>=|]|(^|[.\s])[xX](\.|$|\s)|\s-\s/.test(s)) return false;
  return Constraint.parse(s) !== undefined;
}

/** The highest of `versions` satisfying `constraint` (exact match for a plain version). */
export function maxSatisfying(versions: string[], constraint: string): string | undefined {
  const c = Constraint.parse(constraint);
  if (!c) return undefined;
  let best: SemVer | undefined;
  for (const raw of versions) {
    const v = parseVersion(raw);
    if (!v || !c.satisfiedBy(v)) continue;
    if (!best || compareVersions(v, best) > 0) best = v;
  }
  return best?.raw;
}
