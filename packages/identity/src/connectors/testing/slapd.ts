/**
 * Test helper: a real Debian slapd on free loopback ports (ldap:// and ldaps://), its database in a
 * temporary directory, loaded with ldapadd. `slapdMissing()` says why tests must skip.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTestCert, type TestCert } from './tls.js';

const run = promisify(execFile);
export const SLAPD = '/usr/sbin/slapd';

export function slapdMissing(): string | undefined {
  if (!existsSync(SLAPD)) return 'slapd is not installed (apt-get install slapd ldap-utils; scripts/test.sh installs it)';
  if (!existsSync('/usr/bin/ldapadd')) return 'ldapadd is not installed (apt-get install ldap-utils)';
  if (!existsSync('/etc/ldap/schema/inetorgperson.schema')) return 'slapd schema files are missing under /etc/ldap/schema';
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Slapd {
  port: number;
  tlsPort: number;
  suffix: string;
  rootDN: string;
  rootPW: string;
  cert: TestCert;
  dir: string;
  ldapadd(ldif: string): Promise<void>;
  ldapdelete(dn: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startSlapd(opts: { suffix?: string } = {}): Promise<Slapd> {
  const suffix = opts.suffix ?? 'dc=example,dc=org';
  const rootDN = `cn=admin,${suffix}`;
  const rootPW = 'admin-secret';
  const dir = mkdtempSync(join(tmpdir(), 'idpc-slapd-'));
  mkdirSync(join(dir, 'db'));
  const cert = makeTestCert(dir);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${dir}/slapd.pid`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCertificateFile ${cert.certFile}`,
    `TLSCertificateKeyFile ${cert.keyFile}`,
    'database mdb',
    'maxsize 16777216',
    `suffix "${suffix}"`,
    `rootdn "${rootDN}"`,
    `rootpw ${rootPW}`,
    `directory ${dir}/db`,
    'access to attrs=userPassword by anonymous auth by self read by * none',
    'access to * by * read',
    '',
  ].join('\n'));
  const port = await freePort();
  const tlsPort = await freePort();
  const child: ChildProcess = spawn(SLAPD, ['-d', '0', '-f', conf, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const ldapadd = async (ldif: string) => {
    const file = join(dir, `add-${Date.now()}-${Math.random().toString(36).slice(2)}.ldif`);
    writeFileSync(file, ldif);
    await run('ldapadd', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', rootDN, '-w', rootPW, '-f', file]);
  };
  // wait until it answers
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slapd exited (${child.exitCode}): ${stderr.slice(-2000)}`);
    try {
      await run('ldapsearch', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-s', 'base', '-b', '', 'namingContexts']);
      break;
    } catch (e) {
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`slapd did not answer within 15 s: ${stderr.slice(-2000)}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const top = suffix.split(',')[0]!.split('=')[1]!;
  await ldapadd(`dn: ${suffix}\nobjectClass: dcObject\nobjectClass: organization\ndc: ${top}\no: ${top}\n`);
  return {
    port, tlsPort, suffix, rootDN, rootPW, cert, dir, ldapadd,
    async ldapdelete(dn: string) {
      await run('ldapdelete', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', rootDN, '-w', rootPW, dn]);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
