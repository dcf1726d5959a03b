/**
 * The `postgres` image on Flotilla: the host's PostgreSQL (Debian's `postgresql` package), with
 * the image's entrypoint behaviour. On first start an empty PGDATA is initialised (initdb as the
 * unprivileged `postgres` user when run as root) with POSTGRES_USER / POSTGRES_PASSWORD (or
 * POSTGRES_HOST_AUTH_METHOD=trust), POSTGRES_DB created, /docker-entrypoint-initdb.d/*.sql and
 * *.sh run, and password connections allowed from everywhere (scram-sha-256). Then the server
 * runs in the foreground, listening on every address of the pod, with the given `-c` options.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, appendFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgPlan {
  pgdata: string;
  user: string;
  password?: string;
  db: string;
  authMethod: string;
  initdbArgs: string[];
  /** arguments of the final `postgres` */
  serverArgs: string[];
}

/** What the image's entrypoint would do with these arguments and this environment (pure). */
export function pgPlan(argv: string[], env: Record<string, string | undefined>): PgPlan | { error: string } {
  let a = [...argv];
  if (a[0] === 'docker-entrypoint.sh') a = a.slice(1);
  if (a[0] === 'postgres') a = a.slice(1);
  else if (a.length && !a[0].startsWith('-')) return { error: `the postgres image runs "postgres [OPTIONS]" here, not "${a.join(' ')}"` };
  const user = env.POSTGRES_USER || 'postgres';
  const db = env.POSTGRES_DB || user;
  const authMethod = env.POSTGRES_HOST_AUTH_METHOD || 'scram-sha-256';
  const password = env.POSTGRES_PASSWORD || undefined;
  const initdbArgs = ['--encoding=UTF8', '--locale=C.UTF-8', ...(env.POSTGRES_INITDB_ARGS ?? '').split(/\s+/).filter(Boolean)];
  if (env.POSTGRES_INITDB_WALDIR) initdbArgs.push(`--waldir=${env.POSTGRES_INITDB_WALDIR}`);
  const listen = env.FLOTILLA_LISTEN_IP && env.FLOTILLA_LISTEN_IP !== '0.0.0.0' ? env.FLOTILLA_LISTEN_IP : '*';
  const hasListen = a.some((x, i) => /^listen_addresses=/.test(x.replace(/^-c/, '').replace(/^--/, '')) || (x === '-c' && /^listen_addresses=/.test(a[i + 1] ?? '')));
  return {
    pgdata: env.PGDATA || '/var/lib/postgresql/data',
    user,
    password,
    db,
    authMethod,
    initdbArgs,
    serverArgs: [...(hasListen ? [] : ['-c', `listen_addresses=${listen}`]), ...a],
  };
}

/** The newest installed server's bin directory. */
function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const vers = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((x, y) => Number(y) - Number(x));
  return vers.length ? join(root, vers[0], 'bin') : undefined;
}

function account(name: string): { uid: number; gid: number; home: string } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
  }
  return undefined;
}

function die(msg: string): never {
  process.stderr.write(`postgres: ${msg}\n`);
  process.exit(1);
}

const qi = (s: string) => `"${s.replace(/"/g, '""')}"`;

function main(): void {
  const plan = pgPlan(process.argv.slice(2), process.env);
  if ('error' in plan) die(plan.error);
  const bin = binDir();
  if (!bin) die('PostgreSQL is not installed on this host: install the Debian package postgresql');
  const root = process.getuid?.() === 0;
  const acct = root ? account('postgres') : undefined;
  if (root && !acct) die('there is no "postgres" user on this host to run the server as (the Debian package postgresql creates it)');
  const ids = acct ? { uid: acct.uid, gid: acct.gid } : {};
  const own = (p: string) => {
    if (acct) chownSync(p, acct.uid, acct.gid);
  };
  mkdirSync(plan.pgdata, { recursive: true });
  own(plan.pgdata);
  chmodSync(plan.pgdata, 0o700);
  // the sandbox gives the pod a /run of its own; without it (FLOTILLA_POD_ROOT), the container's TMPDIR
  let sockets = process.env.FLOTILLA_POD_ROOT ? tmpdir() : '/var/run/postgresql';
  try {
    mkdirSync(sockets, { recursive: true });
    own(sockets);
    chmodSync(sockets, 0o2777);
  } catch {
    sockets = tmpdir();
  }
  const env = { ...process.env, PGDATA: plan.pgdata, HOME: acct?.home ?? process.env.HOME ?? '/' };
  const run = (cmd: string, args: string[], input?: string) => {
    const r = spawnSync(join(bin, cmd), args, { ...ids, env, input, stdio: [input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] });
    if (r.status !== 0) die(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  };

  if (!existsSync(join(plan.pgdata, 'PG_VERSION'))) {
    if (readdirSync(plan.pgdata).filter((f) => f !== 'lost+found').length) die(`directory "${plan.pgdata}" exists but is not empty and holds no database (PG_VERSION missing)`);
    if (!plan.password && plan.authMethod !== 'trust')
      die('Database is uninitialized and superuser password is not specified.\n  You must specify POSTGRES_PASSWORD to a non-empty value for the superuser, or use POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password.');
    const pwfile = join(tmpdir(), `pgpw-${process.pid}`);
    writeFileSync(pwfile, `${plan.password ?? ''}\n`, { mode: 0o600 });
    own(pwfile);
    try {
      run('initdb', [`--username=${plan.user}`, ...(plan.password ? [`--pwfile=${pwfile}`] : []), '-D', plan.pgdata, ...plan.initdbArgs]);
    } finally {
      rmSync(pwfile, { force: true });
    }
    // a private server (no TCP) for the set-up
    run('pg_ctl', ['-D', plan.pgdata, '-o', `-c listen_addresses='' -k ${sockets}`, '-w', 'start']);
    const psql = (args: string[], input?: string) => run('psql', ['-v', 'ON_ERROR_STOP=1', '-h', sockets, '-U', plan.user, '--no-password', '--no-psqlrc', ...args], input);
    if (plan.db !== 'postgres') psql(['-d', 'postgres', '-q'], `CREATE DATABASE ${qi(plan.db)};\n`);
    const initDir = '/docker-entrypoint-initdb.d';
    if (existsSync(initDir))
      for (const f of readdirSync(initDir).sort()) {
        if (f.endsWith('.sql')) psql(['-d', plan.db, '-f', join(initDir, f)]);
        else if (f.endsWith('.sh')) {
          const r = spawnSync('sh', [join(initDir, f)], { ...ids, env: { ...env, PGHOST: sockets, PGUSER: plan.user }, stdio: 'inherit' });
          if (r.status !== 0) die(`${f} failed (exit ${r.status})`);
        }
      }
    run('pg_ctl', ['-D', plan.pgdata, '-m', 'fast', '-w', 'stop']);
    appendFileSync(join(plan.pgdata, 'pg_hba.conf'), `\nhost all all all ${plan.authMethod}\n`);
    process.stdout.write('PostgreSQL init process complete; ready for start up.\n');
  }

  const child = spawn(join(bin, 'postgres'), ['-D', plan.pgdata, '-k', sockets, ...plan.serverArgs], { ...ids, env, stdio: 'inherit' });
  // the image stops with SIGINT (fast shutdown): a pod's SIGTERM becomes that
  process.on('SIGTERM', () => child.kill('SIGINT'));
  process.on('SIGINT', () => child.kill('SIGINT'));
  child.on('exit', (code, sig) => process.exit(code ?? (sig ? 128 : 1)));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
