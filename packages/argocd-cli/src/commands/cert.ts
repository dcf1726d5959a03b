/** `argocd cert add-tls|add-ssh|list|rm`: TLS certificates and SSH known hosts for repositories. */
import { readFileSync } from 'node:fs';
import { Command } from '@flotilla/cli-kit/command';
import { io, println } from '@flotilla/cli-kit/io';
import { printResource, table } from '../output.js';
import { apiClient, CliError, explainAuth } from '../session.js';

const help = ({ cmd }: { cmd: Command }) => {
  io.out(cmd.help());
  return 1;
};

function readInput(from: string | undefined, what: string): string {
  try {
    return readFileSync(from || 0, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} from ${from || 'stdin'}: ${(e as Error).message}`);
  }
}

/** The PEM certificate blocks of a text (errors name the first non-PEM content). */
export function pemCerts(text: string): string[] {
  const re = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
  const certs = text.match(re) ?? [];
  const rest = text.replace(re, '').trim();
  if (rest) throw new CliError(`Invalid certificate data: not PEM (near ${JSON.stringify(rest.slice(0, 40))})`);
  if (!certs.length) throw new CliError('No valid certificates have been detected in the stream.');
  return certs.map((c) => c + '\n');
}

/** known_hosts lines → [host, keyType, key] (comments and blank lines skipped). */
export function knownHosts(text: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  text.split('\n').forEach((l, i) => {
    const line = l.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts[0].startsWith('@')) parts.shift();
    if (parts.length < 3) throw new CliError(`Invalid SSH known hosts data on line ${i + 1}: expected "hostname keytype key"`);
    for (const h of parts[0].split(',')) out.push([h, parts[1], parts[2]]);
  });
  return out;
}

function addTls(): Command {
  return new Command({
    use: 'add-tls SERVERNAME',
    short: 'Add TLS certificate data for connecting to repository server SERVERNAME',
    example: `  # Add a TLS certificate for cd.example.com to ArgoCD cert store
  cat ~/mycert.pem | argocd cert add-tls --upsert cd.example.com`,
    flags: [
      { name: 'from', type: 'string', usage: 'Read TLS certificate data from file (default is to read from stdin)' },
      { name: 'upsert', type: 'bool', usage: 'Replace existing TLS certificate if certificate is different in input' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      const certs = pemCerts(readInput(opts.from, 'TLS certificate data'));
      const c = await apiClient(opts, changed);
      const items = [{ serverName: args[0], certType: 'https', certData: Buffer.from(certs.join('')).toString('base64') }];
      const r = await c.post('/api/v1/certificates', { items }, { upsert: opts.upsert }).catch((e) => explainAuth(e, c));
      println(`Created entry with ${(r.items ?? items).length === 1 ? certs.length : (r.items ?? []).length} PEM certificates for repository server ${args[0]}`);
    },
  });
}

function addSsh(): Command {
  return new Command({
    use: 'add-ssh --batch',
    short: 'Add SSH known host entries for repository servers',
    example: `  # Add a SSH known host entry for cd.example.com to ArgoCD by providing the file
  argocd cert add-ssh --batch --from ~/.ssh/known_hosts

  # Add SSH known host entries from stdin
  ssh-keyscan cd.example.com | argocd cert add-ssh --batch`,
    flags: [
      { name: 'batch', type: 'bool', usage: 'Perform batch processing by reading in SSH known hosts data (mandatory flag)' },
      { name: 'from', type: 'string', usage: 'Read SSH known hosts data from file (default is to read from stdin)' },
      { name: 'upsert', type: 'bool', usage: 'Replace existing SSH server public host keys if key is different in input' },
    ],
    run: async ({ opts, changed }) => {
      if (!opts.batch) throw new CliError('You need to specify --batch or specify --help for usage instructions');
      const entries = knownHosts(readInput(opts.from, 'SSH known hosts data'));
      if (!entries.length) throw new CliError('No valid SSH known hosts data found in input');
      const c = await apiClient(opts, changed);
      const items = entries.map(([serverName, certSubType, key]) => ({ serverName, certType: 'ssh', certSubType, certData: Buffer.from(key).toString('base64') }));
      const r = await c.post('/api/v1/certificates', { items }, { upsert: opts.upsert }).catch((e) => explainAuth(e, c));
      println(`Successfully created ${(r.items ?? items).length} SSH known host entries`);
    },
  });
}

function listCmd(): Command {
  return new Command({
    use: 'list',
    short: 'List configured certificates',
    example: `  # List all the configured certificates
  argocd cert list

  # List just the SSH known host entries
  argocd cert list --cert-type ssh`,
    flags: [
      { name: 'cert-type', type: 'string', usage: 'Only list certificates of given type, valid: \'ssh\',\'https\'' },
      { name: 'hostname-pattern', type: 'string', usage: 'Only list certificates for hosts matching given glob-pattern' },
      { name: 'sort', type: 'string', usage: 'Set display sort order for output format wide. One of \'hostname\' or \'type\'' },
      { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' },
    ],
    run: async ({ opts, changed }) => {
      if (opts.certType && !['ssh', 'https'].includes(opts.certType)) throw new CliError(`cert-type must be either ssh or https`);
      const c = await apiClient(opts, changed);
      const r = await c.get('/api/v1/certificates', { hostNamePattern: opts.hostnamePattern, certType: opts.certType }).catch((e) => explainAuth(e, c));
      let items: any[] = r.items ?? [];
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(items, opts.output);
      if (opts.sort === 'hostname' || opts.sort === '') items = [...items].sort((a, b) => (a.serverName < b.serverName ? -1 : a.serverName > b.serverName ? 1 : 0));
      else if (opts.sort === 'type') items = [...items].sort((a, b) => (a.certType < b.certType ? -1 : 1));
      const w = table().row('HOSTNAME', 'TYPE', 'SUBTYPE', 'INFO');
      for (const x of items) w.row(x.serverName, x.certType, x.certSubType ?? '', x.certInfo ?? '');
      io.out(w.flush());
    },
  });
}

function rmCmd(): Command {
  return new Command({
    use: 'rm REPOSERVER',
    short: 'Remove certificate of TYPE for REPOSERVER',
    example: `  # Remove all SSH known host entries for server "cd.example.com"
  argocd cert rm cd.example.com --cert-type ssh

  # Remove all TLS certificates for server "cd.example.com"
  argocd cert rm cd.example.com --cert-type https`,
    flags: [
      { name: 'cert-type', type: 'string', usage: 'Only remove certs of given type (ssh, https)' },
      { name: 'cert-sub-type', type: 'string', usage: 'Only remove certs of given sub-type (only for ssh)' },
    ],
    args: { min: 1, max: 1 },
    run: async ({ args, opts, changed }) => {
      if (args[0] === '*') throw new CliError('A single wildcard is not allowed as REPOSERVER name.');
      const c = await apiClient(opts, changed);
      const r = await c.delete('/api/v1/certificates', { hostNamePattern: args[0], certType: opts.certType, certSubType: opts.certSubType }).catch((e) => explainAuth(e, c));
      println(`Removed ${(r.items ?? []).length} certificates`);
    },
  });
}

export function certCommand(): Command {
  return new Command({
    use: 'cert',
    short: 'Manage repository certificates and SSH known hosts entries',
    example: `  # Add a TLS certificate for cd.example.com to ArgoCD cert store
  cat ~/mycert.pem | argocd cert add-tls --upsert cd.example.com

  # Add a SSH known host entry for cd.example.com to ArgoCD by providing the file
  argocd cert add-ssh --batch --from ~/.ssh/known_hosts

  # List all known TLS certificates
  argocd cert list --cert-type https

  # Remove all TLS certificates for cd.example.com
  argocd cert rm --cert-type https cd.example.com`,
    run: help,
  }).add(addTls(), addSsh(), listCmd(), rmCmd());
}
