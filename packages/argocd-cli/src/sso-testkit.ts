/**
 * Test helpers shared by the `argocd login --sso` tests (sso.test.ts, sso-broker.test.ts): run the
 * built argocd CLI as a process, drive its SSO login with a scripted browser (argocd-server's test
 * Browser), read the stored token.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const RUNNER = fileURLToPath(new URL('../../cli/dist/cli-runner.js', import.meta.url));
export const CLI = new URL('./cli.js', import.meta.url).href;
export const SERVER_DIST = new URL('../../argocd-server/dist/', import.meta.url).href;

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}


let BrowserClass: any;
/** argocd-server's scripted test browser (cookies, redirects, forms). */
export async function browserClass(): Promise<any> {
  return (BrowserClass ??= (await import(`${SERVER_DIST}sso/browser.js`)).Browser);
}

/** Starts argocd; `onLine` sees stdout lines as they come. */
let p: ReturnType<typeof spawn> | undefined;
export function argocd(args: string[], home: string, onLine?: (l: string) => void, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, CLI, ...args], { env: { PATH: process.env.PATH, HOME: home, TZ: 'UTC' }, stdio: ['pipe', 'pipe', 'pipe'] });
    p = child;
    let stdout = '';
    let stderr = '';
    let buf = '';
    child.stdout.on('data', (d) => {
      stdout += d;
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        onLine?.(line);
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`argocd ${args.join(' ')} hung:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // EPIPE: the process exited without reading its input
    child.stdin.end(input);
  });
}

/** `argocd login|relogin … --sso`, with a browser that logs `user` in at whatever the CLI prints. */
export async function ssoLogin(args: string[], home: string, user: string, password: string, o: { browser?: any; beforeBrowser?: (authUrl: string) => Promise<void> } = {}): Promise<{ run: Run; authUrl: string; page: any }> {
  const b = o.browser ?? new (await browserClass())();
  let authUrl = '';
  let page: any;
  let browsing: Promise<void> | undefined;
  let browserError: unknown;
  const run = await argocd(args, home, (l) => {
    const m = /^Performing authorization_code flow login: (\S+)$/.exec(l);
    if (!m) return;
    authUrl = m[1];
    browsing = (async () => {
      await o.beforeBrowser?.(authUrl);
      const first = await b.go(authUrl);
      page = /<form/.test(first.text) ? await b.submit(first, { login: user, password }) : first;
      if (!/Authentication successful/.test(page.text)) throw new Error(`the browser ended at ${page.url} (${page.status}): ${page.text.slice(0, 800)}`);
    })().catch((e) => {
      browserError = e;
      p?.kill('SIGTERM');
    });
  });
  await browsing;
  if (browserError) throw browserError;
  return { run, authUrl, page };
}

/** The token of the current context (or of `user`) in argocd's config. */
export const token = (home: string, user?: string): string => {
  const cfg = parseYaml(readFileSync(join(home, '.config/argocd/config'), 'utf8'));
  const name = user ?? cfg.contexts.find((c: any) => c.name === cfg['current-context'])?.user;
  return cfg.users.find((u: any) => u.name === name)?.['auth-token'] ?? '';
};
export const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
