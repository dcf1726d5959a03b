import type { KubeObject } from '@flotilla/apimachinery';

/** How to authenticate to one repository. */
export interface RepoCredentials {
  /** HTTPS user name (defaults to "x-access-token" when only a password/token is given). */
  username?: string;
  /** HTTPS password or access token. */
  password?: string;
  /** Sent as `Authorization: Bearer <token>` (Bitbucket Data Center style access tokens). */
  bearerToken?: string;
  /** PEM/OpenSSH private key for ssh:// and scp-style (git@host:path) URLs. */
  sshPrivateKey?: string;
  /** Skip SSH host key verification (Argo's `insecure: "true"` on an SSH repository). */
  insecureIgnoreHostKey?: boolean;
  /** Skip TLS certificate verification (Argo's `insecure: "true"` on an HTTPS repository). */
  insecureSkipTLSVerify?: boolean;
  /** ssh_known_hosts content (`<host> <keytype> <key>` lines). */
  knownHosts?: string;
  /** TLS client certificate and key (PEM) for HTTPS repositories. */
  tlsClientCertData?: string;
  tlsClientCertKey?: string;
}

export const SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';

/**
 * Normalises a Git URL the way repository secrets are matched: trimmed, lower-cased, without a
 * trailing slash or `.git` suffix.
 */
export function normalizeGitUrl(url: string): string {
  let u = url.trim().toLowerCase();
  while (u.endsWith('/')) u = u.slice(0, -1);
  if (u.endsWith('.git')) u = u.slice(0, -4);
  return u;
}

/** Reads a Secret's fields: `stringData` (as written in manifests) over base64 `data`. */
export function secretFields(secret: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = secret['data'];
  if (data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
    }
  }
  const stringData = secret['stringData'];
  if (stringData && typeof stringData === 'object') {
    for (const [k, v] of Object.entries(stringData as Record<string, unknown>)) {
      if (v !== undefined && v !== null) out[k] = String(v);
    }
  }
  return out;
}

function hasCredentials(f: Record<string, string>): boolean {
  return Boolean(
    f['username'] || f['password'] || f['sshPrivateKey'] || f['bearerToken'] || f['tlsClientCertData'] || f['githubAppPrivateKey'],
  );
}

function isSshUrl(url: string): boolean {
  return /^ssh:\/\//i.test(url) || /^[^/:@]+@[^/:]+:/.test(url) || /^git\+ssh:\/\//i.test(url);
}

function toCredentials(f: Record<string, string>, repoUrl: string, knownHosts: string | undefined): RepoCredentials {
  const c: RepoCredentials = {};
  if (f['username']) c.username = f['username'];
  if (f['password']) c.password = f['password'];
  if (f['bearerToken']) c.bearerToken = f['bearerToken'];
  if (f['sshPrivateKey']) c.sshPrivateKey = f['sshPrivateKey'];
  if (f['tlsClientCertData']) c.tlsClientCertData = f['tlsClientCertData'];
  if (f['tlsClientCertKey']) c.tlsClientCertKey = f['tlsClientCertKey'];
  if (f['insecure'] === 'true') {
    if (isSshUrl(repoUrl)) c.insecureIgnoreHostKey = true;
    else c.insecureSkipTLSVerify = true;
  }
  if (knownHosts) c.knownHosts = knownHosts;
  return c;
}

/**
 * Credentials for `repoUrl` from Argo CD's declarative repository configuration:
 * - Secrets labelled `argocd.argoproj.io/secret-type: repository` whose `url` equals the repo URL
 *   (after normalisation) and that carry credentials;
 * - otherwise Secrets labelled `repo-creds` (credential templates) whose `url` is a prefix of the
 *   repo URL, longest prefix winning;
 * - the `argocd-ssh-known-hosts-cm` ConfigMap, when present in `secrets`, supplies known_hosts.
 * Returns undefined when nothing matches (or the matching entries carry no credentials).
 */
export function credentialsFromSecrets(secrets: KubeObject[], repoUrl: string): RepoCredentials | undefined {
  const want = normalizeGitUrl(repoUrl);
  let knownHosts: string | undefined;
  let repoFields: Record<string, string> | undefined;
  let best: { len: number; fields: Record<string, string> } | undefined;
  for (const s of secrets) {
    if (s.kind === 'ConfigMap' && s.metadata?.name === 'argocd-ssh-known-hosts-cm') {
      const d = s['data'] as Record<string, string> | undefined;
      if (d?.['ssh_known_hosts']) knownHosts = d['ssh_known_hosts'];
      continue;
    }
    if (s.kind !== undefined && s.kind !== 'Secret') continue;
    const type = s.metadata?.labels?.[SECRET_TYPE_LABEL];
    if (type !== 'repository' && type !== 'repo-creds') continue;
    const f = secretFields(s);
    const url = f['url'];
    if (!url) continue;
    if (type === 'repository') {
      if (normalizeGitUrl(url) === want && (!repoFields || (!hasCredentials(repoFields) && hasCredentials(f)))) repoFields = f;
    } else if (repoUrl.startsWith(url) || want.startsWith(normalizeGitUrl(url))) {
      if (hasCredentials(f) && (!best || url.length > best.len)) best = { len: url.length, fields: f };
    }
  }
  if (repoFields && hasCredentials(repoFields)) return toCredentials(repoFields, repoUrl, knownHosts);
  if (best) {
    // A repository secret without credentials may still set `insecure`.
    const merged = { ...best.fields };
    if (repoFields?.['insecure']) merged['insecure'] = repoFields['insecure'];
    return toCredentials(merged, repoUrl, knownHosts);
  }
  if (repoFields && (repoFields['insecure'] === 'true' || knownHosts)) return toCredentials(repoFields, repoUrl, knownHosts);
  return undefined;
}

/** Replaces `user:password@` in URLs (and any literal secret values given) with `***`. */
export function redact(text: string, secrets: (string | undefined)[] = []): string {
  let out = text
    .replace(/(\bhttps?:\/\/)[^/@\s]*@/gi, '$1***@')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]*:[^/@\s]*@/gi, '$1***@');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}
