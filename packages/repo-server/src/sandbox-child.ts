/**
 * Render worker process: evaluates Jsonnet and renders Helm charts on behalf of the repo server,
 * so a runaway render (an endless Jsonnet loop, a template that never ends, memory blow-up) can
 * be stopped by killing this process without harming the server.
 */
import { loadHelm, type HelmRenderOptions } from './helm-adapter.js';
import type { JsonnetVar } from './types.js';

export interface JsonnetTask {
  file: string;
  jpaths: string[];
  extVars: JsonnetVar[];
  tlas: JsonnetVar[];
  maxOutputBytes: number;
}

export interface HelmTask {
  opts: HelmRenderOptions;
  maxOutputBytes: number;
}

interface Request {
  id: number;
  kind: 'jsonnet' | 'helm' | 'ping';
  payload: unknown;
}

type JsonnetCtor = new () => {
  maxStack?(n: number): unknown;
  setMaxStack?(n: number): unknown;
  extString(k: string, v: string): unknown;
  extCode(k: string, v: string): unknown;
  tlaString(k: string, v: string): unknown;
  tlaCode(k: string, v: string): unknown;
  addJpath(p: string): unknown;
  evaluateFile(f: string): Promise<string>;
};

let JsonnetClass: JsonnetCtor | undefined;

async function jsonnet(t: JsonnetTask): Promise<string> {
  if (!JsonnetClass) {
    const spec = '@hanazuki/node-jsonnet';
    JsonnetClass = ((await import(spec)) as { Jsonnet: JsonnetCtor }).Jsonnet;
  }
  const vm = new JsonnetClass();
  if (vm.setMaxStack) vm.setMaxStack(500);
  else vm.maxStack?.(500);
  for (const v of t.extVars) v.code ? vm.extCode(v.name, v.value) : vm.extString(v.name, v.value);
  for (const v of t.tlas) v.code ? vm.tlaCode(v.name, v.value) : vm.tlaString(v.name, v.value);
  // Paths added later take precedence; libs are listed highest-priority last, like -J flags.
  for (const p of t.jpaths) vm.addJpath(p);
  const out = await vm.evaluateFile(t.file);
  if (out.length > t.maxOutputBytes) {
    throw Object.assign(new Error(`Jsonnet output is ${out.length} bytes, over the ${t.maxOutputBytes} byte limit`), { code: 'TooLarge' });
  }
  return out;
}

async function helm(t: HelmTask): Promise<unknown> {
  const h = await loadHelm();
  const r = await h.renderChart(t.opts);
  let size = 0;
  for (const m of r.manifests) size += m.content.length;
  if (size > t.maxOutputBytes) {
    throw Object.assign(new Error(`Helm output is ${size} bytes, over the ${t.maxOutputBytes} byte limit`), { code: 'TooLarge' });
  }
  return { manifests: r.manifests, chart: r.chart, ...(r.notes !== undefined ? { notes: r.notes } : {}) };
}

process.on('message', (m: Request) => {
  const done = (msg: object) => {
    try {
      process.send?.({ id: m.id, ...msg });
    } catch {
      /* parent gone */
    }
  };
  (async () => {
    switch (m.kind) {
      case 'jsonnet':
        return jsonnet(m.payload as JsonnetTask);
      case 'helm':
        return helm(m.payload as HelmTask);
      default:
        return 'pong';
    }
  })().then(
    (result) => done({ ok: true, result }),
    (e: unknown) => {
      const err = e as { message?: string; name?: string; code?: string; file?: string; line?: number };
      done({
        ok: false,
        error: {
          message: String(err?.message ?? e),
          name: err?.name,
          ...(typeof err?.code === 'string' ? { code: err.code } : {}),
          ...(typeof err?.file === 'string' ? { file: err.file } : {}),
          ...(typeof err?.line === 'number' ? { line: err.line } : {}),
        },
      });
    },
  );
});

process.on('disconnect', () => process.exit(0));
