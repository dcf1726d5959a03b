/**
 * `kubectl argo rollouts dashboard`: the JSON API upstream's Rollouts dashboard (the UI) calls, on
 * :3100 under /api/v1 (also under /<root-path>/api/v1), and the web UI (`@flotilla/ui`, on its Rollouts
 * section) at /<root-path>/:
 *
 *   GET  /api/v1/version                                    {rolloutsVersion}
 *   GET  /api/v1/namespace                                  {namespace, availableNamespaces}
 *   GET  /api/v1/rollouts/{ns}/info                         {rollouts: [RolloutInfo…]}
 *   GET  /api/v1/rollouts/{ns}/info/watch                   stream of {result: {type, rolloutInfo}} lines
 *   GET  /api/v1/rollouts/{ns}/{name}/info                  RolloutInfo
 *   GET  /api/v1/rollouts/{ns}/{name}/info/watch            stream of {result: RolloutInfo} lines
 *   PUT  /api/v1/rollouts/{ns}/{name}/promote               body {full?: boolean}
 *   PUT  /api/v1/rollouts/{ns}/{name}/abort | retry | restart | pause
 *   PUT  /api/v1/rollouts/{ns}/{name}/set/{container}/{image}
 *   PUT  /api/v1/rollouts/{ns}/{name}/undo/{revision}
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { R, resourcePath } from '@flotilla/kube-runtime';
import { rolloutInfo, type Obj } from './info.js';
import { apiMessage, getRollout, related, RO, watchChanges, type Session } from './kube.js';
import { abortPatch, pausePatch, promotePatches, restartPatch, retryRolloutPatch, setImage, undoTemplate } from './patches.js';
import { VERSION } from './commands/misc.js';
import { serveUi } from '@flotilla/ui';

export interface Dashboard {
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<any> {
  let s = '';
  for await (const c of req) s += c;
  try {
    return s ? JSON.parse(s) : {};
  } catch {
    return {};
  }
}

export async function startDashboard(s: Session, o: { port: number; host: string; rootPath: string; allNamespaces?: boolean }): Promise<Dashboard> {
  const streams = new Set<AbortController>();
  const infoOf = async (ns: string, name: string) => {
    const [ro, rel] = await Promise.all([getRollout(s, name, ns), related(s, ns)]);
    return rolloutInfo(ro, rel);
  };
  const listInfos = async (ns: string) => {
    const [ros, rel] = await Promise.all([s.client.list(RO.rollouts, ns), related(s, ns)]);
    return (ros.items as unknown as Obj[]).map((r) => rolloutInfo(r, rel));
  };
  const stream = async (req: IncomingMessage, res: ServerResponse, ns: string, produce: () => Promise<unknown[]>) => {
    const ac = new AbortController();
    streams.add(ac);
    req.on('close', () => ac.abort());
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const push = async () => {
      try {
        for (const r of await produce()) res.write(JSON.stringify({ result: r }) + '\n');
      } catch (e) {
        res.write(JSON.stringify({ error: { message: apiMessage(e) } }) + '\n');
      }
    };
    await push();
    await watchChanges(s, [resourcePath(RO.rollouts, ns), resourcePath(R.replicasets, ns), resourcePath(R.pods, ns), resourcePath(RO.analysisruns, ns)], () => void push(), ac.signal);
    streams.delete(ac);
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url ?? '/', 'http://x');
    const root = `/${o.rootPath.replace(/^\/+|\/+$/g, '')}`;
    // the web UI under the root path calls the API there too (`/rollouts/api/v1/…`)
    const pathname = u.pathname.startsWith(`${root}/api/`) ? u.pathname.slice(root.length) : u.pathname;
    const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'api') {
      if (u.pathname === '/') {
        res.writeHead(302, { location: `/${o.rootPath}/` });
        res.end();
        return;
      }
      const path = u.pathname === root ? '/' : u.pathname.startsWith(`${root}/`) ? u.pathname.slice(root.length) : u.pathname;
      return serveUi(path, res, { baseHref: `${root}/`, section: 'rollouts' });
    }
    const [, v, what, ns, name, ...rest] = parts;
    if (v !== 'v1') return send(res, 404, { message: 'not found' });
    if (what === 'version') return send(res, 200, { rolloutsVersion: VERSION });
    if (what === 'namespace') {
      let available: string[] = [s.namespace];
      try {
        available = (await s.client.list(R.namespaces)).items.map((n) => n.metadata!.name!);
      } catch {
        /* not allowed to list namespaces */
      }
      return send(res, 200, { namespace: s.namespace, availableNamespaces: available });
    }
    if (what !== 'rollouts' || !ns) return send(res, 404, { message: 'not found' });
    if (name === 'info' && req.method === 'GET') {
      if (rest[0] === 'watch') return stream(req, res, ns, async () => (await listInfos(ns)).map((i) => ({ type: 'MODIFIED', rolloutInfo: i })));
      return send(res, 200, { rollouts: await listInfos(ns) });
    }
    if (!name) return send(res, 404, { message: 'not found' });
    const action = rest[0];
    if (action === 'info' && req.method === 'GET') {
      if (rest[1] === 'watch') return stream(req, res, ns, async () => [await infoOf(ns, name)]);
      return send(res, 200, await infoOf(ns, name));
    }
    if (req.method !== 'PUT' && req.method !== 'POST') return send(res, 405, { message: 'method not allowed' });
    const body = await readBody(req);
    const p = (patch: unknown, sub?: string) => s.client.patch(RO.rollouts, ns, name, patch, 'merge', sub);
    switch (action) {
      case 'promote': {
        const ro = await getRollout(s, name, ns);
        const ps = promotePatches(ro, { full: !!body.full });
        if (ps.status) await p({ status: ps.status }, 'status');
        if (ps.spec) await p({ spec: ps.spec });
        break;
      }
      case 'abort':
        await p(abortPatch, 'status');
        break;
      case 'retry':
        await p(retryRolloutPatch, 'status');
        break;
      case 'pause':
        await p(pausePatch);
        break;
      case 'restart':
        await p(restartPatch(new Date()));
        break;
      case 'set': {
        const ro = await getRollout(s, name, ns);
        await s.client.update(RO.rollouts, setImage(ro, rest[1], rest.slice(2).join('/')) as any);
        break;
      }
      case 'undo': {
        const ro = await getRollout(s, name, ns);
        const { template } = undoTemplate(ro, (await s.client.list(R.replicasets, ns)).items as unknown as Obj[], Number(rest[1] ?? 0));
        await s.client.patch(RO.rollouts, ns, name, [{ op: 'replace', path: '/spec/template', value: template }], 'json');
        break;
      }
      default:
        return send(res, 404, { message: `unknown action ${action}` });
    }
    return send(res, 200, await getRollout(s, name, ns));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      const msg = apiMessage(e);
      if (!res.headersSent) send(res, /not found/.test(msg) ? 404 : 500, { error: msg, message: msg });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const a of streams) a.abort();
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
