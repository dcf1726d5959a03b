/**
 * The Settings forms for certificates, GnuPG keys and repository credential templates: what the user
 * typed checked and turned into argocd-server's request bodies (`POST /api/v1/certificates`,
 * `POST /api/v1/gpgkeys`, `POST /api/v1/repocreds`). Every refusal names the field (and line).
 */

export interface CertItem {
  serverName: string;
  certType: 'https' | 'ssh';
  certSubType?: string;
  certData: string;
}

export type Checked<T> = { value: T; error?: undefined } | { value?: undefined; error: string };

const HOST = /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const IPV6 = /^\[?[0-9A-Fa-f:]+\]?$/;

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

function b64Bytes(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  try {
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** A TLS certificate (one or more PEM blocks) for a repository server. */
export function tlsCertItem(serverName: string, pem: string): Checked<CertItem> {
  const host = serverName.trim();
  if (!host) return { error: 'Repository server name: required (the host name, e.g. git.example.com)' };
  if (!HOST.test(host) && !IPV6.test(host)) return { error: `Repository server name: "${host}" is not a host name` };
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g);
  if (!blocks) return { error: 'TLS certificate (PEM format): no -----BEGIN CERTIFICATE----- … -----END CERTIFICATE----- block' };
  for (const [i, b] of blocks.entries()) {
    const body = b.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    if (!b64Bytes(body)) return { error: `TLS certificate (PEM format): certificate ${i + 1} is not base64 between its BEGIN and END lines` };
  }
  return { value: { serverName: host, certType: 'https', certData: b64(blocks.join('\n') + '\n') } };
}

const SSH_TYPES = ['ssh-rsa', 'ssh-dss', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com'];

/**
 * SSH known hosts in `ssh_known_hosts` format (`host[,host…] key-type base64-key [comment]` a line), one
 * item per host and key; the key's own encoded type must match the line's.
 */
export function knownHostsItems(text: string): Checked<CertItem[]> {
  const out: CertItem[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const at = `SSH known hosts, line ${i + 1}`;
    if (line.startsWith('@')) return { error: `${at}: markers such as ${line.split(/\s+/)[0]} are not supported` };
    const [hosts, type, key] = line.split(/\s+/);
    if (!key) return { error: `${at}: expected "host key-type key", got "${line.slice(0, 60)}"` };
    if (!SSH_TYPES.includes(type)) return { error: `${at}: unknown key type "${type}" (one of ${SSH_TYPES.join(', ')})` };
    const bytes = b64Bytes(key);
    if (!bytes) return { error: `${at}: the key is not base64` };
    const n = bytes.length >= 4 ? (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3] : -1;
    const inner = n > 0 && n + 4 <= bytes.length ? new TextDecoder().decode(bytes.slice(4, 4 + n)) : '';
    if (inner !== type) return { error: `${at}: the key is ${inner ? `a ${inner} key` : 'no SSH public key'}, not ${type}` };
    for (const h of hosts.split(',')) {
      if (!h) return { error: `${at}: an empty host name` };
      out.push({ serverName: h, certType: 'ssh', certSubType: type, certData: b64(key) });
    }
  }
  if (!out.length) return { error: 'SSH known hosts: no entry (one "host key-type key" a line)' };
  return { value: out };
}

/** A GnuPG public key in ASCII armor. */
export function gpgKeyData(text: string): Checked<string> {
  const t = text.trim();
  if (/-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(t)) return { error: 'GnuPG public key data: this is a private key — paste the public key (gpg --armor --export <key ID>)' };
  if (!/^-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+-----END PGP PUBLIC KEY BLOCK-----$/.test(t)) return { error: 'GnuPG public key data: expected an ASCII-armored public key, from -----BEGIN PGP PUBLIC KEY BLOCK----- to -----END PGP PUBLIC KEY BLOCK----- (gpg --armor --export <key ID>)' };
  return { value: t + '\n' };
}

export interface RepoCredsForm {
  via: 'https' | 'ssh';
  url: string;
  username: string;
  password: string;
  sshPrivateKey: string;
}

/** A repository credential template: the URL prefix and HTTPS username/password or an SSH private key. */
export function repoCredsBody(f: RepoCredsForm): Checked<Record<string, string>> {
  const url = f.url.trim();
  if (!url) return { error: 'URL: required (the prefix the repositories\' URLs start with, e.g. https://git.example.com/org)' };
  if (f.via === 'https') {
    if (!/^https?:\/\/[^\s/]+/.test(url)) return { error: `URL: "${url}" is not an http(s):// URL` };
    if (!f.username.trim() || !f.password) return { error: 'Username and password: both are required for HTTPS credentials' };
    return { value: { url, username: f.username.trim(), password: f.password } };
  }
  if (!/^(ssh:\/\/[^\s/]+|[\w.-]+@[\w.-]+:)/.test(url)) return { error: `URL: "${url}" is not an SSH URL (ssh://host/… or user@host:…)` };
  const key = f.sshPrivateKey.trim();
  if (!/^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----[\s\S]+-----END ([A-Z]+ )?PRIVATE KEY-----$/.test(key)) return { error: 'SSH private key: expected a PEM private key, from -----BEGIN … PRIVATE KEY----- to -----END … PRIVATE KEY-----' };
  return { value: { url, sshPrivateKey: key + '\n' } };
}
