// Semantic versions and constraints following the documented behaviour of Masterminds/semver v3.
import { goFunc, type FuncMap } from '../funcs.js';
import { GoNum } from '../values.js';

const versionRe = /^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

export class Version {
  static goType = '*semver.Version';
  static goKind = 'ptr';
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string,
    readonly metadata: string,
    readonly original: string,
  ) {}

  static parse(s: string): Version {
    const m = versionRe.exec(s);
    if (!m) throw new Error('Invalid Semantic Version');
    const pre = m[5] ?? '';
    for (const id of pre ? pre.split('.') : []) {
      if (/^0\d+$/.test(id)) throw new Error('Version segment starts with 0');
    }
    return new Version(BigInt(m[1]!), BigInt((m[2] ?? '.0').slice(1)), BigInt((m[3] ?? '.0').slice(1)), pre, m[8] ?? '', s);
  }

  String(): string {
    let s = `${this.major}.${this.minor}.${this.patch}`;
    if (this.pre) s += '-' + this.pre;
    if (this.metadata) s += '+' + this.metadata;
    return s;
  }
  toJSON(): string {
    return this.String();
  }
  goEqual(o: unknown): boolean {
    return o instanceof Version && this.original === o.original;
  }

  compare(o: Version): number {
    if (this.major !== o.major) return this.major < o.major ? -1 : 1;
    if (this.minor !== o.minor) return this.minor < o.minor ? -1 : 1;
    if (this.patch !== o.patch) return this.patch < o.patch ? -1 : 1;
    return comparePre(this.pre, o.pre);
  }
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (xn) return -1;
    if (yn) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

// Template-callable methods ({{ (semver "1.2.3").Major }}, .Compare, .LessThan ...)
const P = Version.prototype as unknown as Record<string, unknown>;
P['Major'] = goFunc([], null, function (this: Version) {
  return new GoNum('uint64', this.major);
});
P['Minor'] = goFunc([], null, function (this: Version) {
  return new GoNum('uint64', this.minor);
});
P['Patch'] = goFunc([], null, function (this: Version) {
  return new GoNum('uint64', this.patch);
});
P['Prerelease'] = goFunc([], null, function (this: Version) {
  return this.pre;
});
P['Metadata'] = goFunc([], null, function (this: Version) {
  return this.metadata;
});
P['Original'] = goFunc([], null, function (this: Version) {
  return this.original;
});
P['Compare'] = goFunc(['any'], null, function (this: Version, o: unknown) {
  if (!(o instanceof Version)) throw new Error('wrong type for value; expected *semver.Version');
  return BigInt(this.compare(o));
});
P['LessThan'] = goFunc(['any'], null, function (this: Version, o: unknown) {
  return this.compare(o as Version) < 0;
});
P['GreaterThan'] = goFunc(['any'], null, function (this: Version, o: unknown) {
  return this.compare(o as Version) > 0;
});
P['Equal'] = goFunc(['any'], null, function (this: Version, o: unknown) {
  return this.compare(o as Version) === 0;
});

// ---- constraints

interface Comparator {
  op: string;
  major?: bigint; // undefined = wildcard
  minor?: bigint;
  patch?: bigint;
  pre: string;
}

const isX = (s: string | undefined): boolean => s === 'x' || s === 'X' || s === '*';
const partRe = /^v?([0-9]+|[xX*])(\.([0-9]+|[xX*]))?(\.([0-9]+|[xX*]))?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

function parseComparator(op: string, ver: string, orig: string): Comparator {
  const m = partRe.exec(ver);
  if (!m) throw new Error(`improper constraint: ${orig}`);
  const c: Comparator = { op, pre: m[7] ?? '' };
  if (!isX(m[1])) {
    c.major = BigInt(m[1]!);
    if (m[3] !== undefined && !isX(m[3])) {
      c.minor = BigInt(m[3]);
      if (m[5] !== undefined && !isX(m[5])) c.patch = BigInt(m[5]);
    }
  }
  return c;
}

const v3 = (a: bigint, b: bigint, c: bigint, pre = ''): Version => new Version(a, b, c, pre, '', '');

function lower(c: Comparator): Version {
  return v3(c.major ?? 0n, c.minor ?? 0n, c.patch ?? 0n, c.pre);
}

/** exclusive upper bound of the range covered by the wildcard/partial comparator */
function wildcardUpper(c: Comparator): Version | undefined {
  if (c.major === undefined) return undefined;
  if (c.minor === undefined) return v3(c.major + 1n, 0n, 0n);
  return v3(c.major, c.minor + 1n, 0n);
}

function check(c: Comparator, v: Version): boolean {
  if (v.pre !== '' && c.pre === '') return false;
  const dirty = c.major === undefined || c.minor === undefined || c.patch === undefined;
  const lo = lower(c);
  const cmp = v.compare(lo);
  switch (c.op) {
    case '':
    case '=':
    case '==': {
      if (!dirty) return cmp === 0;
      const up = wildcardUpper(c);
      return cmp >= 0 && (up === undefined || v.compare(up) < 0);
    }
    case '!=': {
      if (!dirty) return cmp !== 0;
      const up = wildcardUpper(c);
      return !(cmp >= 0 && (up === undefined || v.compare(up) < 0));
    }
    case '>': {
      if (!dirty) return cmp > 0;
      if (c.major === undefined) return false;
      if (v.major !== c.major) return v.major > c.major;
      if (c.minor === undefined) return false;
      return v.minor > c.minor;
    }
    case '>=':
    case '=>':
      return cmp >= 0;
    case '<':
      return cmp < 0;
    case '<=':
    case '=<': {
      if (!dirty) return cmp <= 0;
      const up = wildcardUpper(c);
      return up === undefined ? true : v.compare(up) < 0;
    }
    case '~':
    case '~>': {
      if (cmp < 0) return false;
      const major = c.major ?? 0n;
      const up = c.minor === undefined ? v3(major + 1n, 0n, 0n) : v3(major, c.minor + 1n, 0n);
      return c.major === undefined ? true : v.compare(up) < 0;
    }
    case '^': {
      if (cmp < 0) return false;
      if (c.major === undefined) return true;
      let up: Version;
      if (c.major > 0n) up = v3(c.major + 1n, 0n, 0n);
      else if (c.minor === undefined) up = v3(1n, 0n, 0n);
      else if (c.minor > 0n) up = v3(0n, c.minor + 1n, 0n);
      else if (c.patch === undefined) up = v3(0n, 1n, 0n);
      else up = v3(0n, 0n, c.patch + 1n);
      return v.compare(up) < 0;
    }
  }
  return false;
}

const opRe = /^\s*(!=|>=|=>|<=|=<|==|~>|[=<>~^])?\s*/;

export function parseConstraint(s: string): Comparator[][] {
  const groups: Comparator[][] = [];
  for (const orGroup of s.split('||')) {
    const g: Comparator[] = [];
    let rest = orGroup.trim();
    if (rest === '') throw new Error(`improper constraint: ${s}`);
    // hyphen ranges
    rest = rest.replace(/(\S+)\s+-\s+(\S+)/g, '>=$1,<=$2');
    // split on commas and whitespace between comparators
    const parts = rest
      .replace(/(!=|>=|=>|<=|=<|==|~>|[=<>~^])\s+/g, '$1')
      .split(/[\s,]+/)
      .filter((p) => p !== '');
    for (const p of parts) {
      const m = opRe.exec(p)!;
      const op = m[1] ?? '';
      const ver = p.slice(m[0].length);
      g.push(parseComparator(op, ver, s));
    }
    groups.push(g);
  }
  return groups;
}

const constraintCache = new Map<string, Comparator[][]>();

export function semverCompare(constraint: string, version: string): boolean {
  let groups = constraintCache.get(constraint);
  if (!groups) {
    groups = parseConstraint(constraint);
    constraintCache.set(constraint, groups);
  }
  const v = Version.parse(version);
  return groups.some((g) => g.every((c) => check(c, v)));
}

export function semverFuncs(): FuncMap {
  return {
    semver: goFunc(['string'], null, (s: string) => Version.parse(s)),
    semverCompare: goFunc(['string', 'string'], null, semverCompare),
  };
}
