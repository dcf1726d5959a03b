/**
 * The seed's Argo Workflows journey (ISSUE 11), verbatim, typed as a user would: the real kubectl, the
 * `argo` launcher `flotilla up` wrote into <data-dir>/bin (found on PATH), a real
 * `kubectl -n argo port-forward deployment/argo-server 2746:2746` and an HTTPS request through it,
 * with the paths of the journey (`../shared/upstream/…`, relative to the repository's directory).
 *
 * `defineJourney` adds one describe block for one install manifest; journey.e2e.test.ts runs it twice on
 * ONE `flotilla up` (Flotilla's manifest, then upstream's quick-start-minimal.yaml after the first
 * namespace is deleted), so that the fixed port 2746 is used by one block at a time.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor, type Up } from '@flotilla/kube-runtime/testkit';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const UPSTREAM = join(ROOT, '../shared/upstream');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The state the describe blocks share: the data dir and the running `flotilla up`. */
export interface Ctx {
  dir: string;
  home: string;
  up?: Up;
}

export function env(ctx: Ctx, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${join(ctx.dir, 'data', 'bin')}:${process.env.PATH}`, HOME: ctx.home, KUBECONFIG: ctx.up!.kubeconfig, TZ: 'UTC', ...extra };
}

/** Runs one command of the journey in the repository's directory (so `../shared/upstream/…` resolves as typed). */
export function sh(ctx: Ctx, cmd: string[], o: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const p = spawn(cmd[0], cmd.slice(1), { env: env(ctx, o.env), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
      resolve({ code, stdout, stderr, ms: performance.now() - start });
    });
  });
}

export async function ok(ctx: Ctx, cmd: string[], o: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<Run> {
  const r = await sh(ctx, cmd, o);
  assert.equal(r.code, 0, `${cmd.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** GET over HTTPS without checking the (self-signed) certificate: the status, the body and the peer certificate's issuer/subject. */
function httpsGet(port: number, path: string): Promise<{ status: number; body: string; selfSigned: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false, timeout: 10_000 }, (res) => {
      let body = '';
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, selfSigned: !!cert && JSON.stringify(cert.issuer) === JSON.stringify(cert.subject) }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** What the blocks record for the report (printed at the end of the file). */
export const timings: Record<string, number> = {};

/**
 * The journey with `install` as the argument of `kubectl apply` (written as the journey writes it, relative to
 * the repository directory). `cleanFirst`: delete the namespace a previous block left (not part of the journey).
 */
export function defineJourney(ctx: Ctx, install: string, label: string, o: { cleanFirst?: boolean; more?: (ctx: Ctx, port: () => number) => void } = {}): void {
  const abs = join(ROOT, install);
  const skip = !existsSync(abs) ? `no ${install} (${abs})` : !existsSync(join(UPSTREAM, 'argo-workflows-examples/hello-world.yaml')) ? 'no ../shared/upstream/argo-workflows-examples' : undefined;
  if (skip) process.stdout.write(`# skipping the Workflows journey with ${label}: ${skip}\n`);
  let pf: ChildProcess | undefined;
  let port = 2746;
  let wfName = '';

  describe(`the seed's Argo Workflows journey on flotilla up (${label})`, { skip, timeout: 600_000 }, () => {
    after(async () => {
      pf?.kill('SIGTERM');
    });

    if (o.cleanFirst) {
      it('(between blocks) kubectl delete namespace argo: the previous install is gone', async () => {
        await sh(ctx, ['kubectl', 'delete', 'namespace', 'argo', '--ignore-not-found', '--wait=true', '--timeout=120s'], { timeoutMs: 150_000 });
        await waitFor('namespace argo deleted', async () => (await sh(ctx, ['kubectl', 'get', 'namespace', 'argo'])).code !== 0, 120_000, 1000);
      });
    }

    it('kubectl create namespace argo', async () => {
      const r = await ok(ctx, ['kubectl', 'create', 'namespace', 'argo']);
      assert.equal(r.stdout, 'namespace/argo created\n');
    });

    it(`kubectl apply -n argo -f ${install}`, async () => {
      const r = await sh(ctx, ['kubectl', 'apply', '-n', 'argo', '-f', install], { timeoutMs: 180_000 });
      assert.equal(r.code, 0, `kubectl apply exited ${r.code}:\n${r.stderr}`);
      assert.match(r.stdout, /customresourcedefinition\.apiextensions\.k8s\.io\/workflows\.argoproj\.io (created|configured|unchanged)\n/);
      assert.match(r.stdout, /deployment\.apps\/argo-server created\n/);
      assert.match(r.stdout, /deployment\.apps\/workflow-controller created\n/);
    });

    it(`kubectl patch deployment argo-server --namespace argo --type='json' -p='[… "value": ["server", "--auth-mode=server"]}]'`, async () => {
      const r = await ok(ctx, ['kubectl', 'patch', 'deployment', 'argo-server', '--namespace', 'argo', '--type=json', '-p=[{"op": "replace", "path": "/spec/template/spec/containers/0/args", "value": ["server", "--auth-mode=server"]}]']);
      assert.equal(r.stdout, 'deployment.apps/argo-server patched\n');
      const args = await ok(ctx, ['kubectl', 'get', 'deployment', 'argo-server', '-n', 'argo', '-o', 'jsonpath={.spec.template.spec.containers[0].args}']);
      assert.equal(args.stdout, '["server","--auth-mode=server"]');
    });

    it('workflow-controller and the patched argo-server become available', async () => {
      for (const d of ['workflow-controller', 'argo-server']) {
        await waitFor(
          `${d} available`,
          async () => {
            const r = await sh(ctx, ['kubectl', 'rollout', 'status', `deployment/${d}`, '-n', 'argo', '--timeout=5s']);
            return r.code === 0;
          },
          240_000,
          1000,
        ).catch(async (e) => {
          const pods = await sh(ctx, ['kubectl', 'get', 'pods', '-n', 'argo', '-o', 'wide']);
          const logs = await sh(ctx, ['kubectl', 'logs', `deployment/${d}`, '-n', 'argo', '--tail=30']);
          throw new Error(`${(e as Error).message}\n${pods.stdout}${pods.stderr}\n${logs.stdout}${logs.stderr}`);
        });
      }
    });

    it('kubectl -n argo port-forward deployment/argo-server 2746:2746; https://localhost:2746 answers (self-signed)', async () => {
      const start = (spec: string) =>
        new Promise<number>((resolve, reject) => {
          pf = spawn('kubectl', ['-n', 'argo', 'port-forward', 'deployment/argo-server', spec], { env: env(ctx), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
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
          pf!.on('exit', (c) => {
            clearTimeout(t);
            reject(new Error(`port-forward exited ${c}: ${buf}`));
          });
        });
      try {
        port = await start('2746:2746');
      } catch (e) {
        // another program on this machine holds 2746: the same command with a free local port
        if (!/address already in use|unable to listen/i.test((e as Error).message)) throw e;
        process.stdout.write(`# port 2746 is taken on this machine; forwarding a free local port instead: ${(e as Error).message.split('\n')[0]}\n`);
        port = await start(':2746');
      }
      const r = await waitFor(
        'argo-server answering through the port-forward',
        async () => {
          try {
            return await httpsGet(port, '/');
          } catch {
            return undefined;
          }
        },
        60_000,
        1000,
      );
      assert.ok(r.status > 0 && r.status < 500, `GET https://localhost:${port}/ answered ${r.status}: ${r.body.slice(0, 200)}`);
      assert.ok(r.selfSigned, 'the certificate is self-signed');
      const v = await httpsGet(port, '/api/v1/version');
      assert.equal(v.status, 200, v.body);
      assert.match(JSON.parse(v.body).version, /^v\d/);
    });

    it('argo submit -n argo --watch ../shared/upstream/argo-workflows-examples/hello-world.yaml', async () => {
      const r = await ok(ctx, ['argo', 'submit', '-n', 'argo', '--watch', '../shared/upstream/argo-workflows-examples/hello-world.yaml'], { timeoutMs: 180_000 });
      timings[`${label}: argo submit --watch (hello-world, until Succeeded)`] = r.ms;
      // on a pipe, the view is appended at each change: the first is Pending, the last Succeeded
      const views = r.stdout.split(/\n(?=Name: )/);
      const first = views[0];
      const last = views[views.length - 1];
      assert.match(first, /^Name:                (hello-world-[a-z0-9]{5})\nNamespace:           argo\nServiceAccount:      unset \(will run with the default ServiceAccount\)\nStatus:              Pending\nCreated:             \w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0000 \(\d+ seconds?( ago)?\)\n/);
      wfName = /^Name:\s+(\S+)/.exec(first)![1];
      assert.ok(views.length >= 2, `the view was written again when the workflow changed:\n${r.stdout}`);
      assert.match(last, new RegExp(`^Name:                ${wfName}\\nNamespace:           argo\\nServiceAccount:      unset \\(will run with the default ServiceAccount\\)\\nStatus:              Succeeded\\n`));
      assert.match(last, /\nStarted:             \w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0000 \(/);
      assert.match(last, /\nFinished:            \w{3} \w{3} \d\d \d\d:\d\d:\d\d \+0000 \(/);
      assert.match(last, /\nDuration:            \d+ seconds?\n/);
      assert.match(last, /\nProgress:            1\/1\n/);
      assert.match(last, /\n\nSTEP {18}TEMPLATE {5}PODNAME {12}DURATION  MESSAGE\n/);
      assert.match(last, new RegExp(`\\n ✔ ${wfName}  hello-world  ${wfName}  \\d+s {0,10}\\n$`));
    });

    it('argo list -n argo', async () => {
      const r = await ok(ctx, ['argo', 'list', '-n', 'argo']);
      timings[`${label}: argo list -n argo (1 workflow)`] = r.ms;
      assert.match(r.stdout, new RegExp(`^NAME {16}STATUS {6}AGE {3}DURATION {3}PRIORITY {3}MESSAGE\\n${wfName} {3}Succeeded {3}\\d+s {1,4}\\d+s {2,}0 {0,12}\\n$`));
    });

    it('argo get -n argo @latest', async () => {
      const r = await ok(ctx, ['argo', 'get', '-n', 'argo', '@latest']);
      timings[`${label}: argo get -n argo @latest`] = r.ms;
      const out = r.stdout;
      assert.match(out, new RegExp(`^Name:                ${wfName}\\nNamespace:           argo\\nServiceAccount:      unset \\(will run with the default ServiceAccount\\)\\nStatus:              Succeeded\\n`));
      const keys = out.split('\n\n')[0].split('\n').map((l) => l.split(':')[0].trim());
      for (const k of ['Created', 'Started', 'Finished', 'Duration', 'Progress']) assert.ok(keys.includes(k), `${k} in:\n${out}`);
      assert.ok(keys.indexOf('Created') < keys.indexOf('Started') && keys.indexOf('Started') < keys.indexOf('Finished') && keys.indexOf('Finished') < keys.indexOf('Duration') && keys.indexOf('Duration') < keys.indexOf('Progress'), out);
      assert.match(out, new RegExp(`\\n\\nSTEP {18}TEMPLATE {5}PODNAME {12}DURATION  MESSAGE\\n ✔ ${wfName}  hello-world  ${wfName}  \\d+s {0,10}\\n$`));
      // the pod of the node exists under the name the tree shows
      const pod = await ok(ctx, ['kubectl', 'get', 'pod', wfName, '-n', 'argo', '-o', 'jsonpath={.metadata.labels.workflows\\.argoproj\\.io/workflow}']);
      assert.equal(pod.stdout, wfName);
    });

    it('argo logs -n argo @latest', async () => {
      const r = await ok(ctx, ['argo', 'logs', '-n', 'argo', '@latest']);
      timings[`${label}: argo logs -n argo @latest`] = r.ms;
      assert.equal(r.stdout, `${wfName}: hello world\n`);
    });

    // ---- beyond the journey, on the same install: the same commands through argo-server (ARGO_SERVER mode)

    it('ARGO_SERVER=localhost:2746 ARGO_INSECURE_SKIP_VERIFY=true: argo list / get / logs through argo-server', async () => {
      const e = { ARGO_SERVER: `localhost:${port}`, ARGO_INSECURE_SKIP_VERIFY: 'true' };
      const list = await ok(ctx, ['argo', 'list', '-n', 'argo'], { env: e });
      timings[`${label}: argo list -n argo through argo-server`] = list.ms;
      assert.match(list.stdout, new RegExp(`^NAME\\s+STATUS\\s+AGE\\s+DURATION\\s+PRIORITY\\s+MESSAGE\\n${wfName}\\s+Succeeded\\s+`));
      const get = await ok(ctx, ['argo', 'get', '-n', 'argo', wfName], { env: e });
      assert.match(get.stdout, new RegExp(`\\n ✔ ${wfName}  hello-world  ${wfName}  \\d+s {0,10}\\n$`));
      const logs = await ok(ctx, ['argo', 'logs', '-n', 'argo', wfName], { env: e });
      assert.equal(logs.stdout, `${wfName}: hello world\n`);
    });

    o.more?.(ctx, () => port);
  });
}
