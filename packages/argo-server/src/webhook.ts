/**
 * Webhooks (upstream's docs/webhooks.md): a client that cannot send an Authorization header (GitHub, GitLab,
 * Bitbucket) proves its origin with a signature instead. A `POST /api/v1/events/{ns}/…` without credentials is
 * matched against the clients the Secret `argo-workflows-webhook-clients` of that namespace lists — each key the name
 * of a ServiceAccount, each value YAML `{type, secret}` — and the first whose check passes acts as that
 * ServiceAccount (client mode, its token: the token Secret, else a TokenRequest), so its RBAC decides. A request no
 * client matches goes on without credentials.
 *
 * | type | the request must have | checked |
 * |---|---|---|
 * | `github` | `X-GitHub-Event` | `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`, else `X-Hub-Signature: sha1=<HMAC-SHA1>` |
 * | `gitlab` | `X-Gitlab-Event` | `X-Gitlab-Token` is the secret |
 * | `bitbucket` | `X-Event-Key` | `X-Hook-UUID` is the secret |
 * | `bitbucketserver` | `X-Event-Key` | `X-Hub-Signature: sha256=<HMAC-SHA256>` |
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { R, type KubeClient } from '@flotilla/kube-runtime';
import type { Caller } from './context.js';
import type { Logger } from './log.js';
import { ServiceAccountClients } from './sso/rbac.js';

export const WEBHOOK_CLIENTS_SECRET = 'argo-workflows-webhook-clients';
export const WEBHOOK_TYPES = ['github', 'gitlab', 'bitbucket', 'bitbucketserver'] as const;

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const hmac = (alg: 'sha1' | 'sha256', secret: string, body: Buffer) => createHmac(alg, secret).update(body).digest('hex');

/** Whether a request comes from a webhook client of `type` configured with `secret` (see the table above). */
export function webhookMatches(type: string, secret: string, headers: IncomingHttpHeaders, body: Buffer): boolean {
  switch (type) {
    case 'github': {
      if (!header(headers, 'x-github-event')) return false;
      const s256 = header(headers, 'x-hub-signature-256');
      if (s256) return same(s256, `sha256=${hmac('sha256', secret, body)}`);
      const s1 = header(headers, 'x-hub-signature');
      return !!s1 && same(s1, `sha1=${hmac('sha1', secret, body)}`);
    }
    case 'gitlab': {
      const t = header(headers, 'x-gitlab-token');
      return !!header(headers, 'x-gitlab-event') && !!t && same(t, secret);
    }
    case 'bitbucket': {
      const u = header(headers, 'x-hook-uuid');
      return !!header(headers, 'x-event-key') && !!u && same(u, secret);
    }
    case 'bitbucketserver': {
      const s = header(headers, 'x-hub-signature');
      return !!header(headers, 'x-event-key') && !!s && same(s, `sha256=${hmac('sha256', secret, body)}`);
    }
    default:
      return false;
  }
}

export class Webhooks {
  private readonly sas: ServiceAccountClients;
  constructor(private readonly kube: KubeClient, private readonly log: Logger) {
    this.sas = new ServiceAccountClients(kube);
  }

  /** The caller a webhook request acts as, or undefined when no client of the namespace matches it. */
  async caller(ns: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Caller | undefined> {
    let secret: any;
    try {
      secret = await this.kube.get<any>(R.secrets, ns, WEBHOOK_CLIENTS_SECRET);
    } catch (e) {
      if ((e as { code?: number }).code !== 404) this.log.warn('reading the webhook clients failed', { namespace: ns, secret: WEBHOOK_CLIENTS_SECRET, error: (e as Error).message });
      return undefined;
    }
    for (const [name, b64] of Object.entries<string>(secret.data ?? {})) {
      let client: { type?: string; secret?: string };
      try {
        client = parseYaml(Buffer.from(b64, 'base64').toString('utf8')) ?? {};
      } catch (e) {
        this.log.warn('a webhook client does not parse', { namespace: ns, serviceAccount: name, error: (e as Error).message });
        continue;
      }
      if (typeof client.type !== 'string' || typeof client.secret !== 'string') continue;
      if (!webhookMatches(client.type, client.secret, headers, body)) continue;
      try {
        const sa = await this.kube.get<any>(R.serviceaccounts, ns, name);
        this.log.debug('webhook client matched', { namespace: ns, serviceAccount: name, type: client.type });
        return { mode: 'client', kube: await this.sas.clientFor(ns, sa) };
      } catch (e) {
        this.log.error('a webhook client matched but its ServiceAccount has no usable token', { namespace: ns, serviceAccount: name, error: (e as Error).message });
        return undefined;
      }
    }
    return undefined;
  }

  close(): void {
    this.sas.close();
  }
}
