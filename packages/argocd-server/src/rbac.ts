/**
 * Argo CD's RBAC on casbin: Argo's model (p = sub, res, act, obj, eft; g = _, _; allow unless a
 * matching deny), glob or regex matching by `policy.matchMode`, the built-in `role:admin` and
 * `role:readonly`, `policy.csv` + `policy.<name>.csv` keys of argocd-rbac-cm, `policy.default`,
 * `scopes`, and project roles (`proj:<project>:<role>`) from AppProjects.
 */
import { newEnforcer, newModelFromString, type Enforcer } from 'casbin';
import type { AppProject } from '@flotilla/argocd-engine/types';

export const MODEL = `
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && argoMatch(r.res, p.res) && argoMatch(r.act, p.act) && argoMatch(r.obj, p.obj)
`;

/** The built-in policy (Argo CD's documented builtin-policy.csv, written out). */
export const BUILTIN_POLICY = [
  ...['applications', 'logs'].map((r) => `p, role:readonly, ${r}, get, */*, allow`),
  ...['certificates', 'clusters', 'repositories', 'write-repositories', 'projects', 'accounts', 'gpgkeys'].map((r) => `p, role:readonly, ${r}, get, *, allow`),
  'p, role:readonly, applicationsets, get, */*, allow',
  ...['create', 'update', 'update/*', 'delete', 'delete/*', 'sync', 'override', 'action/*'].map((a) => `p, role:admin, applications, ${a}, */*, allow`),
  ...['get', 'create', 'update', 'delete'].map((a) => `p, role:admin, applicationsets, ${a}, */*, allow`),
  ...['certificates', 'clusters', 'repositories', 'write-repositories', 'projects'].flatMap((r) => ['create', 'update', 'delete'].map((a) => `p, role:admin, ${r}, ${a}, *, allow`)),
  'p, role:admin, accounts, update, *, allow',
  'p, role:admin, gpgkeys, create, *, allow',
  'p, role:admin, gpgkeys, delete, *, allow',
  'p, role:admin, exec, create, */*, allow',
  'p, role:admin, extensions, invoke, *, allow',
  'g, role:admin, role:readonly',
  'g, admin, role:admin',
].join('\n');

export const RESOURCES = ['applications', 'applicationsets', 'clusters', 'projects', 'repositories', 'write-repositories', 'accounts', 'certificates', 'gpgkeys', 'logs', 'exec', 'extensions'];
export const ACTIONS = ['get', 'create', 'update', 'delete', 'sync', 'override', 'action', 'invoke'];

export interface PolicyLine {
  ptype: 'p' | 'g';
  values: string[];
  /** where it came from, e.g. "policy.csv:3" */
  where: string;
}

/** Splits one CSV line the way casbin reads policy files (quotes allowed around a field). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      if (quoted && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Parses a policy CSV; every bad line is an error naming its place. */
export function parsePolicy(csv: string, source: string): { lines: PolicyLine[]; errors: string[] } {
  const lines: PolicyLine[] = [];
  const errors: string[] = [];
  csv.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${source}:${i + 1}`;
    const f = splitCsv(line);
    const ptype = f[0];
    if (ptype === 'p') {
      if (f.length !== 5 && f.length !== 6) return void errors.push(`${where}: a 'p' line needs 5 fields (p, subject, resource, action, object[, allow|deny]), got ${f.length - 1}: ${line}`);
      const eft = f[5] ?? 'allow';
      if (eft !== 'allow' && eft !== 'deny') return void errors.push(`${where}: effect must be 'allow' or 'deny', got '${eft}': ${line}`);
      if (f.slice(1, 5).some((v) => v === '')) return void errors.push(`${where}: empty field: ${line}`);
      lines.push({ ptype: 'p', values: [f[1], f[2], f[3], f[4], eft], where });
    } else if (ptype === 'g') {
      if (f.length !== 3 || !f[1] || !f[2]) return void errors.push(`${where}: a 'g' line needs 2 fields (g, subject, role): ${line}`);
      lines.push({ ptype: 'g', values: [f[1], f[2]], where });
    } else errors.push(`${where}: unknown policy type '${ptype}' (want 'p' or 'g'): ${line}`);
  });
  return { lines, errors };
}

/** Glob as Argo CD matches policy fields: `*` and `?` cross `/`, `[...]` and `{a,b}` as in Go's gobwas/glob. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let inClass = false;
  let alt = 0;
  for (const c of glob) {
    if (inClass) {
      re += c === ']' ? ']' : c === '\\' ? '\\\\' : c;
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      re += '[';
      inClass = true;
    } else if (c === '{') {
      re += '(?:';
      alt++;
    } else if (c === '}' && alt > 0) {
      re += ')';
      alt--;
    } else if (c === ',' && alt > 0) re += '|';
    else re += c.replace(/[.+^$()|\\/{}\]]/g, '\\$&');
  }
  try {
    return new RegExp(`^${re}$`, 's');
  } catch {
    return new RegExp(`^${glob.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  }
}

const cache = new Map<string, RegExp>();
function cached(key: string, make: () => RegExp): RegExp {
  let r = cache.get(key);
  if (!r) {
    if (cache.size > 5000) cache.clear();
    r = make();
    cache.set(key, r);
  }
  return r;
}

export function globMatch(value: string, pattern: string): boolean {
  return cached(`g:${pattern}`, () => globToRegExp(pattern)).test(value);
}

/** `policy.matchMode: regex`: Go's regexp.MatchString (unanchored) — a bad pattern matches nothing. */
export function regexMatch(value: string, pattern: string): boolean {
  try {
    return cached(`r:${pattern}`, () => new RegExp(pattern)).test(value);
  } catch {
    return false;
  }
}

export interface RbacConfig {
  /** policy.csv and policy.<name>.csv, joined */
  policy: string;
  defaultRole: string;
  scopes: string[];
  matchMode: 'glob' | 'regex';
  errors: string[];
}

/** argocd-rbac-cm → the policy and its options; errors name the key and line. */
export function rbacConfig(data: Record<string, string> = {}): RbacConfig & { lines: PolicyLine[] } {
  const keys = Object.keys(data).filter((k) => k === 'policy.csv' || /^policy\..+\.csv$/.test(k)).sort((a, b) => (a === 'policy.csv' ? -1 : b === 'policy.csv' ? 1 : a.localeCompare(b)));
  const lines: PolicyLine[] = [];
  const errors: string[] = [];
  for (const k of keys) {
    const r = parsePolicy(data[k] ?? '', k);
    lines.push(...r.lines);
    errors.push(...r.errors);
  }
  const scopesRaw = (data.scopes ?? '[groups]').trim().replace(/^\[|\]$/g, '');
  const scopes = scopesRaw.split(',').map((s) => s.trim().replace(/^['"]|['"]$/g, '')).filter(Boolean);
  const mm = (data['policy.matchMode'] ?? 'glob').trim();
  if (mm !== 'glob' && mm !== 'regex') errors.push(`policy.matchMode: must be 'glob' or 'regex', got '${mm}'`);
  return { policy: keys.map((k) => data[k]).join('\n'), defaultRole: (data['policy.default'] ?? '').trim(), scopes, matchMode: mm === 'regex' ? 'regex' : 'glob', errors, lines };
}

/** Project role policies as Argo CD adds them: subjects `proj:<project>:<role>`, objects must be in the project. */
export function projectPolicies(projects: AppProject[]): { lines: PolicyLine[]; errors: string[] } {
  const lines: PolicyLine[] = [];
  const errors: string[] = [];
  for (const p of projects) {
    const proj = p.metadata?.name ?? '';
    for (const role of p.spec?.roles ?? []) {
      const subject = `proj:${proj}:${role.name}`;
      (role.policies ?? []).forEach((pol, i) => {
        const where = `project ${proj} role ${role.name} policy ${i + 1}`;
        const r = parsePolicy(pol, where);
        if (r.errors.length) return void errors.push(...r.errors.map((e) => e.replace(/:1:/, ':')));
        for (const l of r.lines) {
          if (l.ptype !== 'p') continue;
          if (l.values[0] !== subject) return void errors.push(`${where}: policy subject must be '${subject}', got '${l.values[0]}'`);
          const obj = l.values[3];
          if (!(obj.startsWith(`${proj}/`) || (l.values[1] === 'projects' && obj === proj))) return void errors.push(`${where}: object must be of form '${proj}/*' or '${proj}/<APPNAME>', got '${obj}'`);
          lines.push({ ...l, where });
        }
      });
      for (const g of role.groups ?? []) lines.push({ ptype: 'g', values: [g, subject], where: `project ${proj} role ${role.name} groups` });
    }
  }
  return { lines, errors };
}

/**
 * One compiled policy: the casbin enforcer (Argo's model) and its options. Requests are decided by
 * `enforceSubject`, which evaluates the model's matcher — `g(r.sub, p.sub)` (the subject or any role
 * it has, transitively) and glob/regex matches of resource, action and object, allow unless a
 * matching deny — over the enforcer's policy and grouping rules directly, with the roles and
 * per-request results memoised: casbin's generic expression evaluation takes ~0.5 ms a request, and
 * a list of 1,000 apps checks 1,000. `enforceCasbin` asks casbin itself (the tests hold both equal).
 */
export class Rbac {
  private readonly bySubject = new Map<string, { res: RegExp; act: RegExp; obj: RegExp; deny: boolean }[]>();
  private readonly parents = new Map<string, string[]>();
  private readonly rolesCache = new Map<string, string[]>();
  private readonly memo = new Map<string, boolean>();

  private constructor(
    private readonly enf: Enforcer,
    readonly cfg: RbacConfig,
    policies: string[][],
    groupings: string[][],
  ) {
    const never = /(?!)/;
    const compile = (pattern: string): RegExp => {
      if (cfg.matchMode !== 'regex') return globToRegExp(pattern);
      try {
        return new RegExp(pattern);
      } catch {
        return never;
      }
    };
    for (const p of policies) {
      const row = { res: compile(p[1]), act: compile(p[2]), obj: compile(p[3]), deny: p[4] === 'deny' };
      const l = this.bySubject.get(p[0]);
      if (l) l.push(row);
      else this.bySubject.set(p[0], [row]);
    }
    for (const [member, role] of groupings) {
      const l = this.parents.get(member);
      if (l) l.push(role);
      else this.parents.set(member, [role]);
    }
  }

  static async build(cfg: RbacConfig, lines: PolicyLine[]): Promise<Rbac> {
    const model = newModelFromString(MODEL);
    const enf = await newEnforcer(model);
    const match = cfg.matchMode === 'regex' ? regexMatch : globMatch;
    await enf.addFunction('argoMatch', (a: string, b: string) => match(String(a), String(b)));
    const all = [...parsePolicy(BUILTIN_POLICY, 'builtin-policy.csv').lines, ...lines];
    const ps = dedupe(all.filter((l) => l.ptype === 'p').map((l) => l.values));
    const gs = dedupe(all.filter((l) => l.ptype === 'g').map((l) => l.values));
    if (ps.length) await enf.addPolicies(ps);
    if (gs.length) await enf.addGroupingPolicies(gs);
    return new Rbac(enf, cfg, await enf.getPolicy(), await enf.getGroupingPolicy());
  }

  /** The subject and every role it has, transitively (g(r.sub, p.sub)). */
  private subjectsOf(sub: string): string[] {
    let r = this.rolesCache.get(sub);
    if (r) return r;
    const seen = new Set<string>([sub]);
    const queue = [sub];
    while (queue.length) for (const p of this.parents.get(queue.shift()!) ?? []) if (!seen.has(p)) seen.add(p), queue.push(p);
    r = [...seen];
    this.rolesCache.set(sub, r);
    return r;
  }

  /** One subject (user, group or role). */
  enforceSubject(sub: string, res: string, act: string, obj: string): boolean {
    const key = `${sub}\u0000${res}\u0000${act}\u0000${obj}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    let allow = false;
    let deny = false;
    for (const s of this.subjectsOf(sub)) {
      for (const p of this.bySubject.get(s) ?? []) {
        if (!p.res.test(res) || !p.act.test(act) || !p.obj.test(obj)) continue;
        if (p.deny) deny = true;
        else allow = true;
      }
      if (deny) break;
    }
    const out = allow && !deny;
    if (this.memo.size > 100_000) this.memo.clear();
    this.memo.set(key, out);
    return out;
  }

  /** The same question asked of casbin's own evaluator. */
  enforceCasbin(sub: string, res: string, act: string, obj: string): boolean {
    return this.enf.enforceSync(sub, res, act, obj);
  }

  /**
   * A request by `subject` with `groups` (from the configured scopes): allowed when the default role,
   * the subject itself or one of its groups is allowed — as Argo CD decides.
   */
  enforce(subject: string, groups: string[], res: string, act: string, obj: string): boolean {
    if (this.cfg.defaultRole && this.enforceSubject(this.cfg.defaultRole, res, act, obj)) return true;
    if (subject && this.enforceSubject(subject, res, act, obj)) return true;
    return groups.some((g) => this.enforceSubject(g, res, act, obj));
  }
}

function dedupe(rows: string[][]): string[][] {
  const seen = new Set<string>();
  return rows.filter((r) => {
    const k = r.join('\u0000');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
