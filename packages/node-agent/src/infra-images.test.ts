/**
 * The infrastructure images Argo's manifests run, as real pods on a real node agent (pod network
 * namespaces, bubblewrap sandbox), each in its upstream form where one exists in
 * ../shared/upstream (read at test time): Argo CD's redis with its password, the Workflows
 * quick-start's minio through a real S3 client, postgres through `pg`, prometheus scraping a
 * pod, nginx (default page and a mounted config), Argo CD's guestbook frontend.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Readable, type Duplex } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { S3Client, CreateBucketCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, HeadObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import pg from 'pg';
import { cond, create, createPod, cstatus, ensureNamespace, httpGet, kubeletGet, podManifest, podWhere, startEnv, waitFor, type Env } from './testutil.js';
import { detectNetns } from './network.js';
import { detectBwrap } from './sandbox.js';
import { programInstalled } from './images.js';

const UPSTREAM = fileURLToPath(new URL('../../../../shared/upstream/', import.meta.url));
const netns = detectNetns();
const bwrap = detectBwrap();
const why = netns.reason ?? bwrap.reason;
if (why) console.log(`# skipping infrastructure image tests: ${why}`);

let env: Env;
const ns = 'infra';
const ready = (p: any) => cond(p, 'Ready') === 'True';
const absent = (file: string) => `../shared/upstream/${file} is not present`;
const servers: Server[] = [];

/** The Deployment `name` of an upstream file, or undefined when the file is absent. */
function upstreamDeployment(file: string, name: string): any | undefined {
  const path = UPSTREAM + file;
  if (!existsSync(path)) return undefined;
  const d = parseAllDocuments(readFileSync(path, 'utf8'))
    .map((x) => x.toJS())
    .find((o) => o?.kind === 'Deployment' && o.metadata?.name === name);
  assert.ok(d, `${file} has no Deployment ${name}`);
  return d;
}

/** A pod from a Deployment's template. */
function podOf(deploy: any, name: string): any {
  const t = deploy.spec.template;
  return podManifest(name, { ...t.spec, terminationGracePeriodSeconds: 2 }, { labels: t.metadata?.labels ?? {} });
}

/** A loopback port that reaches ip:port in the pod network (a client library needs a plain address). */
async function forward(ip: string, port: number): Promise<number> {
  const s = createServer((c) => {
    env.agent.dial(ip, port).then(
      (d: Duplex) => {
        c.pipe(d).pipe(c);
        d.on('error', () => c.destroy());
        c.on('error', () => d.destroy());
      },
      () => c.destroy(),
    );
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

/** Sends redis commands (RESP arrays) on one connection; answers the reply lines and bulk strings, `want` of them. */
async function redis(ip: string, cmds: string[][], want = cmds.length): Promise<string[]> {
  const sock = await env.agent.dial(ip, 6379);
  const out: string[] = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis: no answer; got ${JSON.stringify(out)} ${buf}`)), 10_000);
    sock.on('data', (d) => {
      buf += d.toString();
      // each reply here is one line, or a bulk string ($n\r\n…\r\n)
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) break;
        const line = buf.slice(0, nl);
        if (line.startsWith('$') && Number(line.slice(1)) >= 0) {
          const n = Number(line.slice(1));
          if (buf.length < nl + 2 + n + 2) break;
          out.push(buf.slice(nl + 2, nl + 2 + n));
          buf = buf.slice(nl + 2 + n + 2);
        } else {
          out.push(line);
          buf = buf.slice(nl + 2);
        }
      }
      if (out.length >= want) {
        clearTimeout(t);
        sock.destroy();
        resolve(out);
      }
    });
    sock.on('error', reject);
    sock.write(cmds.map((c) => `*${c.length}\r\n${c.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`).join(''));
  });
}

describe('infrastructure images', { concurrency: true, timeout: 300_000, skip: !!why }, () => {
  before(async () => {
    env = await startEnv({ network: 'netns' });
    await ensureNamespace(env.api, ns);
  });
  after(async () => {
    for (const s of servers) s.close();
    await env?.close();
  });

  it("redis from Argo CD's install manifest: the password from the Secret is required", async (t) => {
    if (!programInstalled('redis-server', process.env.PATH ?? '')) return t.skip('redis-server is not installed (package redis-server)');
    const d = upstreamDeployment('install-manifests/argo-cd/install.yaml', 'argocd-redis');
    if (!d) return t.skip(absent('install-manifests/argo-cd/install.yaml'));
    await create(env.api, `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'argocd-redis' }, stringData: { auth: 's3cret-pw' } });
    const sa = d.spec.template.spec.serviceAccountName;
    if (sa) await create(env.api, `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } });
    // its init container (`argocd admin redis-initial-password`, Argo CD's own image) makes the
    // Secret; the test makes it instead
    const pod = podOf(d, 'redis');
    delete pod.spec.initContainers;
    await createPod(env.api, ns, pod);
    const p = await podWhere(env.api, ns, 'redis', (x) => cstatus(x)?.state?.running, 'running', 60_000);
    const ip = p.status.podIP;
    const noAuth = await waitFor('redis answers', async () => (await redis(ip, [['PING']]))[0], 30_000, 300);
    assert.match(noAuth, /^-NOAUTH/);
    assert.deepEqual(await redis(ip, [['AUTH', 'wrong'], ['GET', 'k']]), ['-WRONGPASS invalid username-password pair or user is disabled.', '-NOAUTH Authentication required.']);
    // the args reached redis-server: no AOF, no snapshots
    const r = await redis(ip, [['AUTH', 's3cret-pw'], ['SET', 'k', 'v'], ['GET', 'k'], ['CONFIG', 'GET', 'appendonly'], ['CONFIG', 'GET', 'save']], 9);
    assert.deepEqual(r, ['+OK', '+OK', 'v', '*2', 'appendonly', 'no', '*2', 'save', '']);
  });

  it("minio from the Workflows quick-start: the bucket its postStart makes, objects and a multipart upload through the S3 client", async (t) => {
    const d = upstreamDeployment('install-manifests/argo-workflows/quick-start-minimal.yaml', 'minio');
    if (!d) return t.skip(absent('install-manifests/argo-workflows/quick-start-minimal.yaml'));
    const c = d.spec.template.spec.containers[0];
    const key = (n: string) => c.env.find((e: any) => e.name === n).value;
    await createPod(env.api, ns, podOf(d, 'minio'));
    const p = await podWhere(env.api, ns, 'minio', ready, 'Ready', 90_000);
    const port = await forward(p.status.podIP, 9000);
    const s3 = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: key('MINIO_ACCESS_KEY'), secretAccessKey: key('MINIO_SECRET_KEY') } });
    try {
      await s3.send(new HeadBucketCommand({ Bucket: 'my-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'my-bucket', Key: 'hello-world/hello.txt', Body: 'hello world', ContentType: 'text/plain' }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'hello-world/hello.txt' }));
      assert.equal(await got.Body!.transformToString(), 'hello world');
      assert.equal(got.ContentType, 'text/plain');
      // a streamed body goes aws-chunked with a checksum trailer
      await s3.send(new PutObjectCommand({ Bucket: 'my-bucket', Key: 'streamed', Body: Readable.from([Buffer.from('in '), Buffer.from('pieces')]), ContentLength: 9 }));
      assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'streamed' }))).Body!.transformToString(), 'in pieces');
      await s3.send(new DeleteObjectCommand({ Bucket: 'my-bucket', Key: 'streamed' }));
      // multipart: one 5 MiB part and a tail
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'my-bucket', Key: 'big.bin' }));
      const a = Buffer.alloc(5 * 1024 * 1024, 7);
      const b = Buffer.from('the end');
      const e1 = await s3.send(new UploadPartCommand({ Bucket: 'my-bucket', Key: 'big.bin', UploadId, PartNumber: 1, Body: a }));
      const e2 = await s3.send(new UploadPartCommand({ Bucket: 'my-bucket', Key: 'big.bin', UploadId, PartNumber: 2, Body: b }));
      const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'my-bucket', Key: 'big.bin', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
      assert.match(done.ETag ?? '', /^"[0-9a-f]{32}-2"$/);
      const big = await s3.send(new GetObjectCommand({ Bucket: 'my-bucket', Key: 'big.bin' }));
      const bytes = Buffer.from(await big.Body!.transformToByteArray());
      assert.equal(bytes.length, a.length + b.length);
      assert.ok(bytes.subarray(a.length).equals(b));
      const list = await s3.send(new ListObjectsV2Command({ Bucket: 'my-bucket', Delimiter: '/' }));
      assert.deepEqual(list.Contents?.map((o) => o.Key), ['big.bin']);
      assert.deepEqual(list.CommonPrefixes?.map((o) => o.Prefix), ['hello-world/']);
      // a presigned URL works without the client; a tampered one is refused
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'my-bucket', Key: 'hello-world/hello.txt' }), { expiresIn: 60 });
      assert.equal(await (await fetch(url)).text(), 'hello world');
      assert.equal((await fetch(url.replace('hello.txt', 'other.txt'))).status, 403);
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'my-bucket', Key: 'big.bin' }));
      assert.equal(head.ContentLength, a.length + b.length);
      assert.equal(head.ETag, done.ETag);
      await s3.send(new DeleteObjectCommand({ Bucket: 'my-bucket', Key: 'big.bin' }));
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'my-bucket', Key: 'big.bin' })), (e: any) => e.$metadata?.httpStatusCode === 404);
      await s3.send(new CreateBucketCommand({ Bucket: 'second-bucket' }));
      // the wrong secret is refused
      const bad = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: key('MINIO_ACCESS_KEY'), secretAccessKey: 'not-the-password' } });
      await assert.rejects(bad.send(new ListObjectsV2Command({ Bucket: 'my-bucket' })), (e: any) => e.name === 'SignatureDoesNotMatch');
      bad.destroy();
    } finally {
      s3.destroy();
    }
  });

  it('postgres: initialised in its volume on first start, password connections on :5432', async (t) => {
    if (!programInstalled('/usr/lib/postgresql/*/bin/postgres', '')) return t.skip('PostgreSQL is not installed (package postgresql)');
    await createPod(
      env.api,
      ns,
      podManifest('postgres', {
        terminationGracePeriodSeconds: 10,
        containers: [
          {
            name: 'postgres',
            image: 'postgres:16',
            env: [
              { name: 'POSTGRES_USER', value: 'argo' },
              { name: 'POSTGRES_PASSWORD', value: 'pg-secret' },
              { name: 'POSTGRES_DB', value: 'workflows' },
              { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
            ],
            ports: [{ containerPort: 5432 }],
            volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
            readinessProbe: { exec: { command: ['pg_isready', '-h', '127.0.0.1', '-U', 'argo'] }, periodSeconds: 1 },
          },
        ],
        volumes: [{ name: 'data', emptyDir: {} }],
      }),
    );
    const p = await podWhere(env.api, ns, 'postgres', ready, 'Ready', 120_000);
    const port = await forward(p.status.podIP, 5432);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'argo', password: 'pg-secret', database: 'workflows' });
    await client.connect();
    try {
      const r = await client.query('select current_user as u, current_database() as d, 1 + 1 as two');
      assert.deepEqual(r.rows[0], { u: 'argo', d: 'workflows', two: 2 });
      await client.query('create table t (v text)');
      await client.query("insert into t values ('kept')");
    } finally {
      await client.end();
    }
    const wrong = new pg.Client({ host: '127.0.0.1', port, user: 'argo', password: 'nope', database: 'workflows' });
    await assert.rejects(wrong.connect(), (e: any) => e.code === '28P01');
    await wrong.end().catch(() => {});
    const logs = (await kubeletGet(env, `/containerLogs/${ns}/postgres/postgres`)).body;
    assert.match(logs, /PostgreSQL init process complete/);
  });

  it('prometheus scrapes a pod (the up metric through its API)', async (t) => {
    if (!programInstalled('prometheus', process.env.PATH ?? '')) return t.skip('prometheus is not installed (package prometheus)');
    const target = 'demo_requests_total 42\n';
    await createPod(env.api, ns, podManifest('exporter', {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: 'node:20', command: ['node', '-e', `require('http').createServer((q,s)=>s.end(${JSON.stringify(target)})).listen(8080)`], ports: [{ containerPort: 8080 }] }],
    }));
    const ex = await podWhere(env.api, ns, 'exporter', (x) => !!x.status?.podIP && cstatus(x)?.state?.running, 'running', 60_000);
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'prometheus' },
      data: { 'prometheus.yml': `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: pods\n    static_configs:\n      - targets: ["${ex.status.podIP}:8080"]\n` },
    });
    await createPod(env.api, ns, podManifest('prometheus', {
      terminationGracePeriodSeconds: 2,
      containers: [{
        name: 'prometheus',
        image: 'quay.io/prometheus/prometheus:v2.53.0',
        args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus', '--web.enable-lifecycle'],
        ports: [{ containerPort: 9090 }],
        readinessProbe: { httpGet: { path: '/-/ready', port: 9090 }, periodSeconds: 1 },
        volumeMounts: [{ name: 'config', mountPath: '/etc/prometheus' }],
      }],
      volumes: [{ name: 'config', configMap: { name: 'prometheus' } }],
    }));
    const p = await podWhere(env.api, ns, 'prometheus', ready, 'Ready', 120_000);
    const q = async (expr: string) => {
      const r = await httpGet(`http://${p.status.podIP}:9090/api/v1/query?query=${encodeURIComponent(expr)}`, 5000, env.agent.dial);
      return JSON.parse(r.body).data?.result ?? [];
    };
    const up = await waitFor('up{job="pods"} == 1', async () => {
      const r = await q('up{job="pods"}');
      return r[0]?.value?.[1] === '1' ? r : undefined;
    }, 60_000, 500);
    assert.equal(up[0].metric.instance, `${ex.status.podIP}:8080`);
    const v = await waitFor('demo metric', async () => (await q('demo_requests_total'))[0]?.value?.[1], 30_000, 500);
    assert.equal(v, '42');
  });

  it("nginx as Argo Workflows' daemon example runs it: the default page on :80, the access log on stdout", async (t) => {
    if (!programInstalled('nginx', process.env.PATH ?? '')) return t.skip('nginx is not installed (package nginx)');
    const file = 'argo-workflows-examples/daemon-nginx.yaml';
    if (!existsSync(UPSTREAM + file)) return t.skip(absent(file));
    const wf = parseAllDocuments(readFileSync(UPSTREAM + file, 'utf8'))[0].toJS();
    const container = { name: 'main', ...wf.spec.templates.find((x: any) => x.name === 'nginx-server').container };
    await createPod(env.api, ns, podManifest('nginx', { terminationGracePeriodSeconds: 2, containers: [container] }));
    const p = await podWhere(env.api, ns, 'nginx', ready, 'Ready', 60_000);
    const r = await httpGet(`http://${p.status.podIP}/`, 5000, env.agent.dial);
    assert.equal(r.status, 200);
    assert.match(r.body, /Welcome to nginx!/);
    const logs = await waitFor('access log', async () => {
      const l = (await kubeletGet(env, `/containerLogs/${ns}/nginx/main`)).body;
      return /"GET \/ HTTP\/1\.1" 200/.test(l) ? l : undefined;
    }, 10_000, 200);
    assert.match(logs, /GET \/ HTTP/);
  });

  it('nginx with a mounted conf.d and a mounted nginx.conf (subPath)', async (t) => {
    if (!programInstalled('nginx', process.env.PATH ?? '')) return t.skip('nginx is not installed (package nginx)');
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'nginx-site' },
      data: { 'default.conf': 'server {\n  listen 8080;\n  location / { default_type text/plain; return 200 "from conf.d\\n"; }\n}\n' },
    });
    await create(env.api, `/api/v1/namespaces/${ns}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'nginx-main' },
      data: { 'nginx.conf': 'worker_processes 1;\nerror_log /var/log/nginx/error.log;\npid /var/run/nginx.pid;\nevents {}\nhttp {\n  access_log /var/log/nginx/access.log;\n  server { listen 8081; location / { default_type text/plain; return 200 "from nginx.conf\\n"; } }\n}\n' },
    });
    await createPod(env.api, ns, podManifest('nginx-confd', {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'web', image: 'nginx:alpine', volumeMounts: [{ name: 'site', mountPath: '/etc/nginx/conf.d' }], readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 } }],
      volumes: [{ name: 'site', configMap: { name: 'nginx-site' } }],
    }));
    await createPod(env.api, ns, podManifest('nginx-main', {
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'web', image: 'nginx:1.27', volumeMounts: [{ name: 'main', mountPath: '/etc/nginx/nginx.conf', subPath: 'nginx.conf' }], readinessProbe: { httpGet: { path: '/', port: 8081 }, periodSeconds: 1 } }],
      volumes: [{ name: 'main', configMap: { name: 'nginx-main' } }],
    }));
    const a = await podWhere(env.api, ns, 'nginx-confd', ready, 'Ready', 60_000);
    assert.equal((await httpGet(`http://${a.status.podIP}:8080/`, 5000, env.agent.dial)).body, 'from conf.d\n');
    // the image's default.conf is replaced by the mounted directory: nothing on :80
    await assert.rejects(httpGet(`http://${a.status.podIP}:80/`, 3000, env.agent.dial));
    const b = await podWhere(env.api, ns, 'nginx-main', ready, 'Ready', 60_000);
    assert.equal((await httpGet(`http://${b.status.podIP}:8081/`, 5000, env.agent.dial)).body, 'from nginx.conf\n');
  });

  it("Argo CD's guestbook example: the gb-frontend page on :80", async (t) => {
    const d = upstreamDeployment('argocd-example-apps/guestbook/guestbook-ui-deployment.yaml', 'guestbook-ui');
    if (!d) return t.skip(absent('argocd-example-apps/guestbook/guestbook-ui-deployment.yaml'));
    await createPod(env.api, ns, podOf(d, 'guestbook-ui'));
    const p = await podWhere(env.api, ns, 'guestbook-ui', (x) => !!x.status?.podIP && cstatus(x)?.state?.running, 'running', 60_000);
    const page = await waitFor('guestbook page', async () => {
      const r = await httpGet(`http://${p.status.podIP}/`, 3000, env.agent.dial);
      return r.status === 200 ? r.body : undefined;
    }, 30_000, 300);
    assert.match(page, /<h2>Guestbook<\/h2>/);
    const set = await httpGet(`http://${p.status.podIP}/guestbook.php?cmd=set&key=messages&value=${encodeURIComponent('hello,from flotilla')}`, 3000, env.agent.dial);
    assert.deepEqual(JSON.parse(set.body), { message: 'Updated' });
    const get = await httpGet(`http://${p.status.podIP}/guestbook.php?cmd=get&key=messages`, 3000, env.agent.dial);
    assert.deepEqual(JSON.parse(get.body), { data: 'hello,from flotilla' });
  });

  it('an image whose host program is missing waits in ErrImagePull naming the Debian package', async () => {
    await createPod(env.api, ns, podManifest('missing', { containers: [{ name: 'c', image: 'example.org/needs-tool:1' }] }));
    // the image table is re-read from <dataDir>/images.json; the mapping names a program no host has
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${env.agentOpts.dataDir}/images.json`, JSON.stringify({ 'example.org/needs-tool': { entrypoint: ['flotilla-no-such-tool'], requires: [{ program: 'flotilla-no-such-tool', package: 'flotilla-tool-pkg' }] } }));
    const p = await podWhere(env.api, ns, 'missing', (x) => /flotilla-tool-pkg/.test(cstatus(x)?.state?.waiting?.message ?? ''), 'ErrImagePull naming the package', 30_000);
    const w = cstatus(p).state.waiting;
    assert.equal(w.reason, 'ErrImagePull');
    assert.match(w.message, /runs the host program flotilla-no-such-tool, which is not installed on this host: install the Debian package flotilla-tool-pkg/);
  });
});
