/**
 * GitHub (`service.github`: appID, installationID, privateKey, enterpriseBaseURL) as a GitHub App:
 * an RS256 JWT buys an installation token; then the template's `github.status` becomes a commit
 * status, `github.deployment` a deployment + deployment status, `github.pullRequestComment` a comment
 * on the commit's pull requests. The repository comes from `repoURLPath`, the commit from `revisionPath`.
 */
import { createSign } from 'node:crypto';
import type { Delivery } from '../engine.js';
import { DeliveryError, httpSend, str } from './http.js';

const tokens = new Map<string, { token: string; until: number }>();

function apiBase(cfg: Record<string, unknown>): string {
  const e = str(cfg.enterpriseBaseURL).replace(/\/$/, '');
  if (!e) return 'https://api.github.com';
  return /\/api\/v3$/.test(e) ? e : e + '/api/v3';
}

function b64(v: unknown): string {
  return Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
}

export function appJwt(appID: string, privateKey: string, now = Math.floor(Date.now() / 1000)): string {
  const head = b64({ alg: 'RS256', typ: 'JWT' }) + '.' + b64({ iat: now - 60, exp: now + 540, iss: appID });
  let sig: string;
  try {
    sig = createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url');
  } catch (e) {
    throw new DeliveryError(`service.github.privateKey: cannot sign with it: ${(e as Error).message}`);
  }
  return head + '.' + sig;
}

async function installationToken(cfg: Record<string, unknown>, base: string): Promise<string> {
  const id = `${base}|${str(cfg.appID)}|${str(cfg.installationID)}`;
  const c = tokens.get(id);
  if (c && c.until > Date.now()) return c.token;
  if (!cfg.appID || !cfg.installationID || !cfg.privateKey) throw new DeliveryError('service.github: appID, installationID and privateKey are required');
  const r = await httpSend(`${base}/app/installations/${str(cfg.installationID)}/access_tokens`, {
    headers: { Accept: 'application/vnd.github+json', Authorization: `Bearer ${appJwt(str(cfg.appID), str(cfg.privateKey))}` },
  });
  const v = JSON.parse(r.text) as { token?: string };
  if (!v.token) throw new DeliveryError('service.github: the installation token response has no token');
  tokens.set(id, { token: v.token, until: Date.now() + 50 * 60_000 });
  return v.token;
}

/** owner/repo of a repository URL (https, ssh or scp-like). */
export function ownerRepo(url: string): [string, string] {
  const m = url.trim().replace(/\.git$/, '').match(/[/:]([^/:]+)\/([^/]+)$/);
  if (!m) throw new DeliveryError(`github.repoURLPath: cannot find owner/repo in ${JSON.stringify(url)}`);
  return [m[1]!, m[2]!];
}

export async function sendGitHub(cfg: Record<string, unknown>, d: Delivery): Promise<void> {
  const g = (d.notification.github ?? {}) as Record<string, unknown>;
  const base = apiBase(cfg);
  const repoURL = str(g.repoURLPath);
  const sha = str(g.revisionPath);
  if (!repoURL || repoURL === '<no value>') throw new DeliveryError('github.repoURLPath: rendered empty (set it in the template, e.g. "{{.app.spec.source.repoURL}}")');
  if (!sha || sha === '<no value>') throw new DeliveryError('github.revisionPath: rendered empty (e.g. "{{.app.status.operationState.syncResult.revision}}")');
  const [owner, repo] = ownerRepo(repoURL);
  const token = await installationToken(cfg, base);
  const headers = { Accept: 'application/vnd.github+json', Authorization: `token ${token}`, 'Content-Type': 'application/json' };
  const post = (path: string, body: unknown) => httpSend(`${base}/repos/${owner}/${repo}${path}`, { headers, body: JSON.stringify(body), retryMax: 2, retryWaitMinMs: 500 });
  const st = g.status as Record<string, unknown> | undefined;
  if (st) {
    await post(`/statuses/${sha}`, { state: str(st.state), context: str(st.label) || 'continuous-delivery/argocd', description: str(st.label), target_url: str(st.targetURL) || undefined });
  }
  const dep = g.deployment as Record<string, unknown> | undefined;
  if (dep) {
    const rc = dep.requiredContexts;
    const created = await post('/deployments', {
      ref: str(dep.reference) || sha,
      environment: str(dep.environment),
      required_contexts: Array.isArray(rc) ? rc.map(str) : [],
      auto_merge: dep.autoMerge === true || dep.autoMerge === 'true',
      transient_environment: dep.transientEnvironment === true || dep.transientEnvironment === 'true',
    });
    const id = (JSON.parse(created.text) as { id?: number }).id;
    if (id === undefined) throw new DeliveryError('github deployment: the response has no id');
    await post(`/deployments/${id}/statuses`, { state: str(dep.state), environment: str(dep.environment), environment_url: str(dep.environmentURL) || undefined, log_url: str(dep.logURL) || undefined });
  }
  const pc = g.pullRequestComment as Record<string, unknown> | undefined;
  if (pc) {
    const r = await httpSend(`${base}/repos/${owner}/${repo}/commits/${sha}/pulls`, { method: 'GET', headers });
    for (const pr of JSON.parse(r.text) as Array<{ number: number }>) await post(`/issues/${pr.number}/comments`, { body: str(pc.content) });
  }
}
