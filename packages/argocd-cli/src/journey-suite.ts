/**
 * The seed's Argo CD journey (shared by journey.e2e.test.ts and journey-upstream.e2e.test.ts), verbatim, on one `flotilla up`: the install manifest applied with
 * kubectl, the initial password read by `argocd admin initial-password`, a real
 * `kubectl port-forward svc/argocd-server`, and the `argocd` launcher `flotilla up` wrote, with
 * HOME in a temporary directory (config in ~/.config/argocd/config). The guestbook comes from a
 * Git repository of ../shared/upstream/argocd-example-apps served on the host.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUp, stopUp, waitFor, type Up } from '@flotilla/kube-runtime/testkit';
import { exampleAppsRepo, startGitServer, type GitServer } from '@flotilla/repo-server/testkit';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The journey (and the checks after it) with `INSTALL` as the install manifest, on one flotilla up. */
export function defineJourney(INSTALL: string, label: string, o: { knownApplyFailure?: RegExp } = {}): void {
  let dir: string;
  let home: string;
  let up: Up;
  let git: GitServer | undefined;
  let pf: ChildProcess | undefined;
  let port = 0;
  let password = '';
  const NEW_PASSWORD = 'journey-password-2';
  const skip = !existsSync(INSTALL) ? `no ${INSTALL}` : undefined;
  /** a copy of ../shared/upstream/argocd-example-apps (undefined, with the reason printed, when absent) */
  const examples = skip ? undefined : exampleAppsRepo();
  const noExamples = !examples && 'no ../shared/upstream/argocd-example-apps';

  function env(): NodeJS.ProcessEnv {
    return { PATH: `${join(dir, 'data', 'bin')}:${process.env.PATH}`, HOME: home, KUBECONFIG: up.kubeconfig, TZ: 'UTC' };
  }

  /** Runs a command of the journey (argocd is the launcher flotilla up wrote, found on PATH). */
  function sh(cmd: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const p = spawn(cmd[0], cmd.slice(1), { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d) => (stdout += d));
      p.stderr.on('data', (d) => (stderr += d));
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`${cmd.join(' ')} did not finish in ${o.timeoutMs ?? 120_000} ms:\n${stdout}\n${stderr}`));
      }, o.timeoutMs ?? 120_000);
      p.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
      p.stdin.on('error', () => {}); // EPIPE: the process exited without reading its input; its exit code tells
      p.stdin.end(o.input ?? '');
    });
  }

  /** Retries fn (every 2 s) until it returns something truthy. */
  function eventually<T>(fn: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return waitFor(what, fn, timeoutMs, 2000);
  }

  async function ok(cmd: string[], o: { timeoutMs?: number } = {}): Promise<string> {
    const r = await sh(cmd, o);
    assert.equal(r.code, 0, `${cmd.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  describe(`the seed's Argo CD journey on flotilla up (${label})`, { skip, timeout: 1_800_000 }, () => {
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'argocd-journey-'));
      home = join(dir, 'home');
      mkdirSync(home);
      if (examples) git = await startGitServer({ repos: { 'argocd-example-apps': examples } });
      up = await startUp(join(dir, 'data'), 300_000);
    });
    after(async () => {
      pf?.kill('SIGTERM');
      if (up) await stopUp(up, 'SIGTERM');
      await git?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it(`kubectl create namespace argocd; kubectl apply -n argocd -f ${label}`, async () => {
      await ok(['kubectl', 'create', 'namespace', 'argocd']);
      const first = await sh(['kubectl', 'apply', '-n', 'argocd', '-f', INSTALL], { timeoutMs: 300_000 });
      if (first.code !== 0 && o.knownApplyFailure?.test(first.stderr)) {
        // fails the same way on Kubernetes: everything else was applied
        return;
      }
      if (first.code !== 0) {
        // let the rest of the journey run (a second apply finds the CRDs), but report the first failure
        await sh(['kubectl', 'wait', '--for=condition=Established', 'crd/applications.argoproj.io', 'crd/appprojects.argoproj.io', '--timeout=60s']);
        await ok(['kubectl', 'apply', '-n', 'argocd', '-f', INSTALL], { timeoutMs: 300_000 });
      }
      assert.ok(existsSync(join(dir, 'data', 'bin', 'argocd')), 'flotilla up wrote the argocd launcher');
      assert.equal(first.code, 0, `one kubectl apply of install.yaml must succeed, as with upstream's (it has no object of an Argo CD kind):\n${first.stderr}`);
    });

    it('argocd-server becomes available', async () => {
      await eventually(
        async () => {
          const r = await sh(['kubectl', 'get', 'deployment', 'argocd-server', '-n', 'argocd', '-o', 'jsonpath={.status.availableReplicas}']);
          if (r.stdout.trim() !== '1') throw new Error(`argocd-server not available yet: ${r.stdout}${r.stderr}`);
          return true;
        },
        600_000,
        'argocd-server available',
      );
    });

    it('argocd admin initial-password -n argocd', async () => {
      const out = await eventually(async () => ok(['argocd', 'admin', 'initial-password', '-n', 'argocd']), 120_000, 'initial admin secret');
      const lines = out.split('\n');
      password = lines[0];
      assert.match(password, /^\S{8,}$/);
      assert.equal(lines[1], '');
      assert.match(lines[2], /This password must be only used for first time login\. We strongly recommend you update the password using `argocd account update-password`\./);
    });

    it('kubectl port-forward svc/argocd-server -n argocd PORT:443', async () => {
      pf = spawn('kubectl', ['port-forward', 'svc/argocd-server', '-n', 'argocd', ':443'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      port = await new Promise<number>((resolve, reject) => {
        let buf = '';
        const t = setTimeout(() => reject(new Error(`port-forward did not start: ${buf}`)), 60_000);
        const on = (d: Buffer) => {
          buf += d.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(buf);
          if (m) {
            clearTimeout(t);
            resolve(Number(m[1]));
          }
        };
        pf!.stdout!.on('data', on);
        pf!.stderr!.on('data', on);
        pf!.on('exit', (c) => reject(new Error(`port-forward exited ${c}: ${buf}`)));
      });
    });

    it('argocd login localhost:PORT --username admin --password <that> --insecure', async () => {
      const out = await ok(['argocd', 'login', `localhost:${port}`, '--username', 'admin', '--password', password, '--insecure']);
      assert.match(out, /^'admin(:login)?' logged in successfully\nContext 'localhost:\d+' updated\n$/);
      const cfg = readFileSync(join(home, '.config', 'argocd', 'config'), 'utf8');
      assert.match(cfg, new RegExp(`current-context: localhost:${port}`));
      assert.match(cfg, /auth-token: \S+/);
    });

    it('argocd account update-password --current-password <that> --new-password <new>', async () => {
      const out = await ok(['argocd', 'account', 'update-password', '--current-password', password, '--new-password', NEW_PASSWORD]);
      assert.equal(out, `Password updated\nContext 'localhost:${port}' updated\n`);
      // the new session works; the old password does not
      assert.match(await ok(['argocd', 'account', 'get-user-info']), /Logged In: true\nUsername: admin\n/);
      const bad = await sh(['argocd', 'login', `localhost:${port}`, '--username', 'admin', '--password', password, '--insecure', '--name', 'old']);
      assert.notEqual(bad.code, 0);
    });

    it('kubectl config set-context --current --namespace=argocd', async () => {
      await ok(['kubectl', 'config', 'set-context', '--current', '--namespace=argocd']);
    });

    it('argocd app create guestbook --repo <git url> --path guestbook --dest-server https://kubernetes.default.svc --dest-namespace default', { skip: noExamples }, async () => {
      const out = await ok(['argocd', 'app', 'create', 'guestbook', '--repo', git!.podURL('argocd-example-apps'), '--path', 'guestbook', '--dest-server', 'https://kubernetes.default.svc', '--dest-namespace', 'default']);
      assert.equal(out, "application 'guestbook' created\n");
    });

    it('argocd app get guestbook: OutOfSync, Missing, and the resource table', { skip: noExamples }, async () => {
      const out = await eventually(
        async () => {
          const o = await ok(['argocd', 'app', 'get', 'guestbook']);
          if (!/Health Status:\s+Missing/.test(o) || !/GROUP\s+KIND/.test(o)) throw new Error(`not compared yet:\n${o}`);
          return o;
        },
        // a comparison error (repo server still starting) is retried at the next resync (180 s upstream)
        420_000,
        'guestbook compared',
      );
      assert.match(out, /^Name:               argocd\/guestbook\n/);
      assert.match(out, /\nProject:            default\n/);
      assert.match(out, /\nServer:             https:\/\/kubernetes\.default\.svc\n/);
      assert.match(out, /\nNamespace:          default\n/);
      assert.match(out, new RegExp(`\\nURL:                https://localhost:${port}/applications/guestbook\\n`));
      assert.match(out, /\nSource:\n- Repo:             http:\/\/\S+argocd-example-apps\.git\n  Target:           \S*\n  Path:             guestbook\n/);
      assert.match(out, /\nSyncWindow:         Sync Allowed\n/);
      assert.match(out, /\nSync Policy:        Manual\n/);
      assert.match(out, /\nSync Status:        OutOfSync from \S* ?\([0-9a-f]{7}\)\n/);
      assert.match(out, /\nHealth Status:      Missing\n/);
      assert.match(out, /\n\nGROUP  KIND        NAMESPACE  NAME          STATUS     HEALTH   HOOK  MESSAGE\n/);
      assert.match(out, /\n       Service     default    guestbook-ui  OutOfSync  Missing\s*\n/);
      assert.match(out, /\napps   Deployment  default    guestbook-ui  OutOfSync  Missing\s*\n/);
    });

    it('argocd app sync guestbook: then Synced, and Healthy once the pod is ready', { skip: noExamples }, async () => {
      const out = await ok(['argocd', 'app', 'sync', 'guestbook', '--timeout', '300'], { timeoutMs: 360_000 });
      assert.match(out, /^TIMESTAMP\s+GROUP\s+KIND\s+NAMESPACE\s+NAME\s+STATUS\s+HEALTH\s+HOOK\s+MESSAGE\n/);
      assert.match(out, /\nOperation:          Sync\nSync Revision:      [0-9a-f]{40}\nPhase:              Succeeded\n/);
      assert.match(out, /\nMessage:            successfully synced/);
      assert.match(out, /Sync Status:        Synced to /);
      await eventually(
        async () => {
          const o = await ok(['argocd', 'app', 'get', 'guestbook']);
          if (!/Sync Status:\s+Synced/.test(o) || !/Health Status:\s+Healthy/.test(o)) throw new Error(`not Synced/Healthy yet:\n${o}`);
          return true;
        },
        300_000,
        'guestbook Synced and Healthy',
      );
      const w = await ok(['argocd', 'app', 'wait', 'guestbook', '--health', '--timeout', '60']);
      assert.match(w, /Health Status:      Healthy/);
    });

    it('kubectl patch svc argocd-server -n argocd -p \'{"spec": {"type": "LoadBalancer"}}\' (reachable from the host)', async () => {
      await ok(['kubectl', 'patch', 'svc', 'argocd-server', '-n', 'argocd', '-p', '{"spec": {"type": "LoadBalancer"}}']);
      const svc = JSON.parse(await ok(['kubectl', 'get', 'svc', 'argocd-server', '-n', 'argocd', '-o', 'json']));
      assert.equal(svc.spec.type, 'LoadBalancer');
      const ingress = await eventually(
        async () => {
          const s = JSON.parse(await ok(['kubectl', 'get', 'svc', 'argocd-server', '-n', 'argocd', '-o', 'json']));
          const i = s.status?.loadBalancer?.ingress?.[0];
          if (!i) throw new Error('no load balancer address yet');
          return { host: i.ip ?? i.hostname, port: (s.spec.ports ?? []).find((p: any) => p.port === 443)?.port ?? 443 };
        },
        120_000,
        'load balancer address',
      );
      const v = await ok(['argocd', 'version', '--server', `${ingress.host}:${ingress.port}`, '--insecure']);
      assert.match(v, /\nargocd-server: v\S+/);
    });

    // ---- beyond the journey, on the same flotilla up: diff exit codes, history/rollback, repo, --core, delete

    it('argocd app diff: exit 0 when in sync; exit 1 with the ===== block and the changed field after drift', { skip: noExamples }, async () => {
      const same = await sh(['argocd', 'app', 'diff', 'guestbook', '--refresh']);
      assert.equal(same.code, 0, same.stdout + same.stderr);
      assert.equal(same.stdout, '');
      await ok(['kubectl', 'scale', 'deployment', 'guestbook-ui', '-n', 'default', '--replicas=2']);
      const drift = await eventually(
        async () => {
          const r = await sh(['argocd', 'app', 'diff', 'guestbook', '--refresh']);
          return r.code === 1 ? r : undefined;
        },
        120_000,
        'the drift seen by app diff',
      );
      assert.match(drift!.stdout, /^\n===== apps\/Deployment default\/guestbook-ui ======\n/);
      assert.match(drift!.stdout, /\n<   replicas: 2\n---\n>   replicas: 1\n/);
      const quiet = await sh(['argocd', 'app', 'diff', 'guestbook', '--exit-code=false']);
      assert.equal(quiet.code, 0);
      await ok(['argocd', 'app', 'sync', 'guestbook', '--timeout', '300'], { timeoutMs: 360_000 });
    });

    it('history and rollback round trip: a new commit synced, then rolled back to the first deployment', { skip: noExamples }, async () => {
      const deploy = readFileSync(join(examples!, 'guestbook', 'guestbook-ui-deployment.yaml'), 'utf8');
      const sha = git!.commit('argocd-example-apps', { 'guestbook/guestbook-ui-deployment.yaml': deploy.replace('replicas: 1', 'replicas: 2') }, 'two replicas');
      const get = await ok(['argocd', 'app', 'get', 'guestbook', '--hard-refresh']);
      assert.match(get, new RegExp(`Sync Status:        OutOfSync from  \\(${sha.slice(0, 7)}\\)`));
      await ok(['argocd', 'app', 'sync', 'guestbook', '--timeout', '300'], { timeoutMs: 360_000 });
      const hist = await ok(['argocd', 'app', 'history', 'guestbook']);
      const rows = hist.split('\n').filter((l) => /^\d+ /.test(l));
      assert.ok(rows.length >= 2, hist);
      assert.match(rows[rows.length - 1], new RegExp(`\\(${sha.slice(0, 7)}\\)$`));
      assert.match(hist, /^SOURCE  http:\/\/\S+argocd-example-apps\.git\nID  +DATE  +REVISION\n/);
      const first = rows[0].split(/\s+/)[0];
      const rb = await ok(['argocd', 'app', 'rollback', 'guestbook', first, '--timeout', '300'], { timeoutMs: 360_000 });
      assert.match(rb, /\nPhase:              Succeeded\n/);
      const replicas = await ok(['kubectl', 'get', 'deployment', 'guestbook-ui', '-n', 'default', '-o', 'jsonpath={.spec.replicas}']);
      assert.equal(replicas, '1');
      const ids = (await ok(['argocd', 'app', 'history', 'guestbook', '-o', 'id'])).trim().split('\n');
      assert.equal(ids.length, rows.length + 1);
    });

    it('argocd repo add / list / get / rm with the Git server on the host', { skip: noExamples }, async () => {
      const url = git!.podURL('argocd-example-apps');
      assert.equal(await ok(['argocd', 'repo', 'add', url]), `Repository '${url}' added\n`);
      const list = await ok(['argocd', 'repo', 'list']);
      assert.match(list, /^TYPE\s+NAME\s+REPO\s+INSECURE\s+OCI\s+LFS\s+CREDS\s+STATUS\s+MESSAGE\s+PROJECT\n/);
      assert.match(list, new RegExp(`\\ngit\\s+${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\s+false\\s+false\\s+false\\s+false\\s+Successful`));
      assert.equal(await ok(['argocd', 'repo', 'get', url, '-o', 'url']), `${url}\n`);
      const bad = await sh(['argocd', 'repo', 'add', 'http://host.flotilla.internal:1/nothing.git']);
      assert.equal(bad.code, 20);
      assert.equal(await ok(['argocd', 'repo', 'rm', url]), `Repository '${url}' removed\n`);
    });

    it('--core: the same application straight from the Kubernetes API (the kubeconfig namespace is argocd)', { skip: noExamples }, async () => {
      assert.match(await ok(['argocd', 'app', 'list', '--core']), /\nargocd\/guestbook\s+https:\/\/kubernetes\.default\.svc\s+default\s+default\s+/);
      assert.match(await ok(['argocd', 'app', 'get', 'guestbook', '--core']), /^Name:               argocd\/guestbook\n/);
    });

    it('argocd app resources / manifests / actions list / actions run restart / logs', { skip: noExamples }, async () => {
      const res = await ok(['argocd', 'app', 'resources', 'guestbook']);
      assert.match(res, /^GROUP\s+KIND\s+NAMESPACE\s+NAME\s+ORPHANED\n/);
      assert.match(res, /\napps\s+Deployment\s+default\s+guestbook-ui\s+No\n/);
      assert.match(res, /\n\s+Service\s+default\s+guestbook-ui\s+No\n/);
      const man = await ok(['argocd', 'app', 'manifests', 'guestbook']);
      assert.equal(man.split(/^---$/m).length - 1, 2, man);
      assert.match(man, /\nkind: Deployment\n/);
      const live = await ok(['argocd', 'app', 'manifests', 'guestbook', '--source', 'live']);
      assert.match(live, /\nkind: Deployment\n/);
      assert.match(live, /\nstatus:\n/);
      const acts = await ok(['argocd', 'app', 'actions', 'list', 'guestbook', '--kind', 'Deployment']);
      assert.match(acts, /^GROUP\s+KIND\s+NAME\s+ACTION\s+DISABLED\n/);
      assert.match(acts, /\napps\s+Deployment\s+guestbook-ui\s+restart\s+false\n/);
      await ok(['argocd', 'app', 'actions', 'run', 'guestbook', 'restart', '--kind', 'Deployment', '--resource-name', 'guestbook-ui']);
      const at = await ok(['kubectl', 'get', 'deployment', 'guestbook-ui', '-n', 'default', '-o', "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}"]);
      assert.match(at, /^\d{4}-\d\d-\d\dT/);
      const logs = await sh(['argocd', 'app', 'logs', 'guestbook', '--kind', 'Deployment', '--tail', '5']);
      assert.equal(logs.code, 0, logs.stderr);
    });

    it('argocd app delete guestbook -y removes the app and its resources', { skip: noExamples }, async () => {
      assert.equal(await ok(['argocd', 'app', 'delete', 'guestbook', '-y', '--wait']), "application 'guestbook' deleted\n");
      const r = await sh(['argocd', 'app', 'get', 'guestbook']);
      assert.equal(r.code, 20);
      assert.match(r.stderr, /NotFound/);
      await eventually(async () => (await sh(['kubectl', 'get', 'deployment', 'guestbook-ui', '-n', 'default'])).code !== 0, 120_000, 'guestbook-ui deleted');
    });
  });

}
