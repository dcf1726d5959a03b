/**
 * kubectl exec, attach and port-forward end to end: the real kubectl against the real API server
 * (which proxies the upgrades) and the node agent's kubelet endpoint — over WebSockets (kubectl's
 * default: channel v5 for exec/attach, SPDY tunnelled in a WebSocket for port-forward) and over
 * SPDY/3.1 (kubectl's fallback, forced with KUBECTL_*_WEBSOCKETS=false). The other WebSocket
 * protocols (v4, base64, port-forward channels, as @kubernetes/client-node uses them) are driven
 * with the `ws` client directly against the kubelet endpoint.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { createPod, kubectlEnv, podManifest, podWhere, runKubectl, startEnv, waitFor, type Env } from './testutil.js';

let env: Env;
const ns = 'stream';

const MODES = {
  websocket: {},
  spdy: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' },
} as const;

/** Runs kubectl (isolated HOME) in the test namespace to completion; `input` is piped to its stdin. */
function kubectl(e: Env, args: string[], o: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runKubectl(e, ['-n', ns, ...args], o);
}

/** A long-running kubectl (port-forward, attach) whose output is collected; stop() kills it. */
function background(e: Env, args: string[], extraEnv: Record<string, string> = {}): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null>; stop(): Promise<void> } {
  const child = spawn('kubectl', ['-n', ns, ...args], { env: kubectlEnv(e, extraEnv), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const r = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    r.setTimeout(20_000, () => r.destroy(new Error('timeout')));
    r.on('error', reject);
    r.end();
  });
}

async function portForward(e: Env, target: string, remotePort: number, extraEnv: Record<string, string>) {
  const pf = background(e, ['port-forward', target, `:${remotePort}`], extraEnv);
  const port = await waitFor(`kubectl port-forward ${target} to listen`, () => {
    const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(pf.out());
    if (!m && pf.child.exitCode !== null) throw new Error(`kubectl port-forward exited: ${pf.err()}`);
    return m ? Number(m[1]) : undefined;
  });
  return { ...pf, port };
}

describe('kubectl exec, attach and port-forward', { concurrency: true, timeout: 180_000 }, () => {
  before(async () => {
    env = await startEnv();
    await createPod(env.api, ns, podManifest('shell', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] }));
    await createPod(
      env.api,
      ns,
      podManifest(
        'two',
        {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'a', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'WHO', value: 'container a' }] },
            { name: 'b', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'WHO', value: 'container b' }] },
          ],
        },
        { annotations: { 'kubectl.kubernetes.io/default-container': 'b' } },
      ),
    );
    await createPod(env.api, ns, podManifest('web', { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image: 'argoproj/rollouts-demo:blue', ports: [{ containerPort: 8080 }] }] }));
    await createPod(
      env.api,
      ns,
      podManifest('ticker', { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.2; done'] }] }),
    );
    for (const p of ['shell', 'two', 'web', 'ticker']) await podWhere(env.api, ns, p, (x) => x.status?.phase === 'Running', 'Running', 60_000);
    await podWhere(env.api, ns, 'web', (x) => (x.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'), 'Ready', 60_000);
  });
  after(async () => {
    await env?.close();
  });

  for (const [mode, extra] of Object.entries(MODES)) {
    it(`[${mode}] kubectl exec POD -- echo hello prints hello; stdout and stderr stay apart`, async () => {
      let r = await kubectl(env, ['exec', 'shell', '--', 'echo', 'hello'], { env: extra });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'hello\n');
      r = await kubectl(env, ['exec', 'shell', '--', 'sh', '-c', 'echo out; echo err >&2'], { env: extra });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
    });

    it(`[${mode}] the exit code propagates: sh -c 'exit 3' makes kubectl exit 3`, async () => {
      const r = await kubectl(env, ['exec', 'shell', '--', 'sh', '-c', 'echo before; exit 3'], { env: extra });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'before\n');
      assert.match(r.stderr, /command terminated with exit code 3/);
    });

    it(`[${mode}] stdin: echo data | kubectl exec -i POD -- cat`, async () => {
      let r = await kubectl(env, ['exec', '-i', 'shell', '--', 'cat'], { input: 'data\n', env: extra });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'data\n');
      // larger than any frame or buffer on the way, both directions
      const big = 'x'.repeat(1 << 20) + '\nend\n';
      r = await kubectl(env, ['exec', '-i', 'shell', '--', 'sh', '-c', 'wc -c; head -c 2000000 /dev/zero | tr "\\0" y'], { input: big, env: extra });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.slice(0, r.stdout.indexOf('\n')).trim(), String(Buffer.byteLength(big)));
      assert.equal(r.stdout.length - r.stdout.indexOf('\n') - 1, 2_000_000);
    });

    it(`[${mode}] -c selects the container; the default-container annotation is honoured; an unknown container is an error`, async () => {
      let r = await kubectl(env, ['exec', 'two', '-c', 'a', '--', 'sh', '-c', 'echo $WHO'], { env: extra });
      assert.equal(r.stdout, 'container a\n', r.stderr);
      r = await kubectl(env, ['exec', 'two', '--', 'sh', '-c', 'echo $WHO'], { env: extra });
      assert.equal(r.stdout, 'container b\n', r.stderr);
      r = await kubectl(env, ['exec', 'two', '-c', 'nope', '--', 'true'], { env: extra });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /container nope is not valid for pod two/);
    });

    it(`[${mode}] kubectl exec into a pod that does not exist is a clear error`, async () => {
      const r = await kubectl(env, ['exec', 'nope', '--', 'true'], { env: extra });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /Error from server \(NotFound\): pods "nope" not found/);
    });

    it(`[${mode}] kubectl port-forward pod/web :8080: requests in sequence and concurrently`, async () => {
      const pf = await portForward(env, 'pod/web', 8080, extra);
      try {
        for (let i = 0; i < 2; i++) {
          const r = await get(pf.port, '/color');
          assert.equal(r.status, 200);
          assert.equal(r.body, '"blue"');
        }
        const both = await Promise.all([get(pf.port, '/color'), get(pf.port, '/color')]);
        assert.deepEqual(
          both.map((r) => r.body),
          ['"blue"', '"blue"'],
        );
        const page = await get(pf.port, '/');
        assert.equal(page.status, 200);
        assert.ok(page.body.length > 0);
      } finally {
        await pf.stop();
      }
    });

    it(`[${mode}] port-forward to a port nothing listens on reports the error; the agent carries on`, async () => {
      const pf = await portForward(env, 'pod/web', 9999, extra);
      try {
        await assert.rejects(get(pf.port, '/color'));
        await waitFor('the forwarding error from kubectl', () => /error forwarding port 9999 to pod stream\/web, uid [0-9a-f-]+: .*connect: connection refused/.test(pf.err()));
      } finally {
        await pf.stop();
      }
      const r = await kubectl(env, ['exec', 'web', '--', 'echo', 'alive'], { env: extra });
      assert.equal(r.stdout, 'alive\n', r.stderr);
      const ok = await portForward(env, 'web', 8080, extra);
      try {
        assert.equal((await get(ok.port, '/color')).body, '"blue"');
      } finally {
        await ok.stop();
      }
    });

    it(`[${mode}] kubectl attach streams the container's output`, async () => {
      const a = background(env, ['attach', 'ticker'], extra);
      try {
        await waitFor('attached output', () => /tick \d+\n/.test(a.out()) && /tock \d+\n/.test(a.err()));
      } finally {
        await a.stop();
      }
    });

    it(`[${mode}] a TTY (-t): the command sees a terminal of the client's size`, { skip: spawnSync('script', ['--version']).status !== 0 && 'util-linux script is not installed' }, async () => {
      // `script` gives kubectl a terminal; its stdin stays open until the command is done
      const cmd = `stty cols 120 rows 40; exec kubectl -n ${ns} exec -it shell -- sh -c 'test -t 0 && echo isatty; stty size; exit 4'`;
      const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: kubectlEnv(env, extra), stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      child.stdin.end();
      assert.equal(code, 4, out);
      assert.match(out, /isatty\r\n40 120\r\n/);
    });
  }

  it('the exec process is killed when the client goes away', async () => {
    const marker = `${Math.floor(1000 + Math.random() * 8000)}`;
    const k = background(env, ['exec', 'shell', '--', 'sleep', marker]);
    const procs = () =>
      readdirSync('/proc').filter((p) => {
        try {
          return /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
        } catch {
          return false;
        }
      });
    await waitFor('the exec process', () => procs().length > 0);
    await k.stop();
    await waitFor('the exec process to be gone', () => procs().length === 0);
  });

  describe('other WebSocket protocols, straight to the kubelet', () => {
    const open = (path: string, protocol: string) =>
      new WebSocket(`${env.agent.kubeletUrl.replace(/^http/, 'ws')}${path}`, protocol, { headers: { authorization: `Bearer ${env.server.token}` } });
    const collect = (ws: WebSocket) =>
      new Promise<{ protocol: string; messages: (Buffer | string)[]; code: number }>((resolve, reject) => {
        const messages: (Buffer | string)[] = [];
        ws.on('message', (d, isBinary) => messages.push(isBinary ? Buffer.from(d as Buffer) : d.toString()));
        ws.on('close', (code) => resolve({ protocol: ws.protocol, messages, code }));
        ws.on('error', reject);
      });

    it('exec with v4.channel.k8s.io: channels and a Status on channel 3', async () => {
      const ws = open(`/exec/${ns}/shell/main?command=sh&command=-c&command=echo%20o%3B%20echo%20e%20%3E%262%3B%20exit%205&stdout=1&stderr=1`, 'v4.channel.k8s.io');
      const r = await collect(ws);
      assert.equal(r.protocol, 'v4.channel.k8s.io');
      assert.equal(r.code, 1000);
      const by = (ch: number) => Buffer.concat((r.messages as Buffer[]).filter((m) => m[0] === ch).map((m) => m.subarray(1))).toString();
      assert.equal(by(1), 'o\n');
      assert.equal(by(2), 'e\n');
      const st = JSON.parse(by(3));
      assert.equal(st.status, 'Failure');
      assert.equal(st.reason, 'NonZeroExitCode');
      assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '5' }]);
    });

    it('exec with base64.channel.k8s.io (v1): base64 text frames, stdin', async () => {
      const ws = open(`/exec/${ns}/shell/main?command=cat&stdin=1&stdout=1`, 'base64.channel.k8s.io');
      const done = collect(ws);
      ws.on('open', () => {
        ws.send('0' + Buffer.from('over base64\n').toString('base64'));
        // v1 has no stdin close signal: the client closes the connection when it is done
        setTimeout(() => ws.close(), 500);
      });
      const r = await done;
      assert.equal(r.protocol, 'base64.channel.k8s.io');
      const out = (r.messages as string[])
        .filter((m) => m[0] === '1')
        .map((m) => Buffer.from(m.slice(1), 'base64').toString())
        .join('');
      assert.equal(out, 'over base64\n');
    });

    it('port-forward with WebSocket channels (?port=8080)', async () => {
      const ws = open(`/portForward/${ns}/web?port=8080`, 'v4.channel.k8s.io');
      const messages: Buffer[] = [];
      const got = new Promise<string>((resolve, reject) => {
        ws.on('message', (d) => {
          messages.push(Buffer.from(d as Buffer));
          const data = Buffer.concat(messages.filter((m) => m[0] === 0).map((m) => m.subarray(1)));
          // the first message on each channel is the port (uint16 little endian)
          const body = data.subarray(2).toString();
          if (body.includes('"blue"')) resolve(body);
        });
        ws.on('error', reject);
        ws.on('close', () => reject(new Error(`closed before the answer; got ${JSON.stringify(Buffer.concat(messages).toString())}`)));
      });
      ws.on('open', () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /color HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])));
      const body = await got;
      assert.match(body, /^HTTP\/1\.1 200/);
      assert.equal(messages[0].readUInt16LE(1), 8080);
      ws.close();
    });

    it('refuses a wrong token, an unknown pod, a stopped container and non-upgrade requests', async () => {
      const status = (path: string, headers: Record<string, string>) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const r = request(`${env.agent.kubeletUrl}${path}`, { headers }, (res) => {
            let body = '';
            res.on('data', (d) => (body += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          r.on('upgrade', (res, socket) => {
            socket.destroy();
            resolve({ status: res.statusCode ?? 0, body: '' });
          });
          r.on('error', reject);
          r.end();
        });
      const up = { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' };
      const auth = { authorization: `Bearer ${env.server.token}` };
      assert.equal((await status(`/exec/${ns}/shell/main?command=true&stdout=1`, { ...up, authorization: 'Bearer wrong' })).status, 401);
      const gone = await status(`/exec/${ns}/nope/main?command=true&stdout=1`, { ...up, ...auth });
      assert.deepEqual(gone, { status: 404, body: 'pod does not exist\n' });
      const noc = await status(`/exec/${ns}/shell/nope?command=true&stdout=1`, { ...up, ...auth });
      assert.equal(noc.body, 'container not found ("nope")\n');
      const plain = await status(`/exec/${ns}/shell/main?command=true&stdout=1`, auth);
      assert.deepEqual(plain, { status: 400, body: 'Upgrade request required\n' });
    });
  });
});

describe('kubectl exec without a sandbox', { timeout: 120_000 }, () => {
  let plain: Env;
  before(async () => {
    plain = await startEnv({ sandbox: 'none' });
    await createPod(plain.api, ns, podManifest('shell', { terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] }));
    await podWhere(plain.api, ns, 'shell', (x) => x.status?.phase === 'Running', 'Running', 60_000);
  });
  after(async () => {
    await plain?.close();
  });

  it('runs the command, with stdin and the exit code', async () => {
    const r = await kubectl(plain, ['exec', '-i', 'shell', '--', 'sh', '-c', 'cat; exit 7'], { input: 'plain\n' });
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'plain\n');
  });
});
