/**
 * SSO RBAC (`sso.rbac.enabled`): the ServiceAccount an SSO user acts as is the first one, by the annotation
 * `workflows.argoproj.io/rbac-rule-precedence` (highest first; then by name), whose
 * `workflows.argoproj.io/rbac-rule` expression (expr language) is true for the user's claims — e.g.
 * `'admins' in groups`, `email == 'jane@example.com'`. The request then runs with that ServiceAccount's own
 * permissions: argo-server calls the API server with a token of the ServiceAccount — its token Secret when it
 * has a filled one (`<sa>.service-account-token` or one listed in `secrets`, as upstream), else a short-lived
 * token from the TokenRequest API (Flotilla's API server has no token controller filling Secrets).
 *
 * With `SSO_DELEGATE_RBAC_TO_NAMESPACE=true`, as upstream: the user must first match a ServiceAccount of
 * argo-server's namespace (else refused); then a request about another namespace N uses N's matching
 * ServiceAccount when one matches, else the one of argo-server's namespace.
 */
import { compile, type Program } from '@flotilla/expr';
import { KubeClient, R } from '@flotilla/kube-runtime';

export const RULE = 'workflows.argoproj.io/rbac-rule';
export const PRECEDENCE = 'workflows.argoproj.io/rbac-rule-precedence';

export interface SaLike {
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  secrets?: { name?: string }[];
}

export interface RuleError {
  serviceAccount: string;
  message: string;
}

const compiled = new Map<string, Program | Error>();
function program(src: string): Program {
  let p = compiled.get(src);
  if (!p) {
    try {
      p = compile(src);
    } catch (e) {
      p = e as Error;
    }
    if (compiled.size > 500) compiled.clear();
    compiled.set(src, p);
  }
  if (p instanceof Error) throw p;
  return p;
}

/** The environment rules see: the ID token's claims, with `groups` (after customGroupClaimName and filtering), `iss` ("argo-server", as upstream documents), `sub`, `email`, … */
export function ruleEnv(claims: Record<string, unknown>, groups: string[]): Record<string, unknown> {
  return { ...claims, groups, iss: 'argo-server', email: claims.email ?? '', email_verified: claims.email_verified ?? false, name: claims.name ?? '', preferred_username: claims.preferred_username ?? '', sub: claims.sub ?? '' };
}

/** Picks the ServiceAccount for `env` among `sas`; rules that do not compile or evaluate are skipped and reported. */
export function pickServiceAccount<T extends SaLike>(sas: T[], env: Record<string, unknown>): { sa?: T; errors: RuleError[] } {
  const errors: RuleError[] = [];
  const prec = (s: SaLike) => {
    const v = s.metadata.annotations?.[PRECEDENCE];
    const n = v === undefined ? 0 : Number.parseInt(v, 10);
    return Number.isFinite(n) ? n : 0;
  };
  const ruled = sas.filter((s) => s.metadata.annotations?.[RULE]);
  ruled.sort((a, b) => prec(b) - prec(a) || a.metadata.name.localeCompare(b.metadata.name));
  for (const s of ruled) {
    const rule = s.metadata.annotations![RULE]!;
    let out: unknown;
    try {
      out = program(rule).run(env);
    } catch (e) {
      errors.push({ serviceAccount: `${s.metadata.namespace ?? ''}/${s.metadata.name}`, message: `rule ${JSON.stringify(rule)}: ${(e as Error).message}` });
      continue;
    }
    if (out === true) return { sa: s, errors };
  }
  return { errors };
}

const TOKEN_TTL_S = 3600;

/** Kubernetes clients acting as ServiceAccounts, cached until shortly before their token expires. */
export class ServiceAccountClients {
  private readonly cache = new Map<string, { client: KubeClient; until: number }>();
  constructor(private readonly kube: KubeClient) {}

  async clientFor(ns: string, sa: SaLike): Promise<KubeClient> {
    const key = `${ns}/${sa.metadata.name}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.client;
    if (hit) {
      hit.client.close();
      this.cache.delete(key);
    }
    const { token, until } = await this.tokenOf(ns, sa);
    const base = this.kube;
    const client = new KubeClient({ url: base.server.toString().replace(/\/$/, ''), caPem: base.caPem, token, insecureSkipTlsVerify: base.config.insecure }, { fieldManager: 'argo-server', qps: 50, burst: 100 });
    this.cache.set(key, { client, until });
    return client;
  }

  private async tokenOf(ns: string, sa: SaLike): Promise<{ token: string; until: number }> {
    const names = [`${sa.metadata.name}.service-account-token`, ...(sa.secrets ?? []).map((s) => s.name).filter((n): n is string => !!n)];
    for (const name of names) {
      const s = await this.kube.get<any>(R.secrets, ns, name).catch(() => undefined);
      if (s?.type === 'kubernetes.io/service-account-token' && s.metadata?.annotations?.['kubernetes.io/service-account.name'] === sa.metadata.name && s.data?.token) {
        return { token: Buffer.from(s.data.token, 'base64').toString('utf8'), until: Date.now() + 5 * 60_000 };
      }
    }
    let tr: any;
    try {
      tr = await this.kube.createSub(R.serviceaccounts, ns, sa.metadata.name, 'token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: TOKEN_TTL_S } });
    } catch (e) {
      throw new Error(`no token for ServiceAccount ${ns}/${sa.metadata.name}: it has no token Secret and TokenRequest failed: ${(e as Error).message}`);
    }
    const token = tr?.status?.token;
    if (!token) throw new Error(`no token for ServiceAccount ${ns}/${sa.metadata.name}: TokenRequest answered without one`);
    const exp = Date.parse(tr.status.expirationTimestamp ?? '') || Date.now() + TOKEN_TTL_S * 1000;
    // renew well before the end
    return { token, until: exp - Math.min(10 * 60_000, (exp - Date.now()) / 2) };
  }

  close(): void {
    for (const c of this.cache.values()) c.client.close();
    this.cache.clear();
  }
}
