/** resource: an informer on any group/version/resource; ADD / UPDATE / DELETE with label and field filters. */
import { Informer, type Resource } from '@flotilla/kube-runtime';
import type { SourceContext, Source } from './common.js';

export interface Selector {
  key: string;
  operation?: string;
  value?: string;
}

/** Label filters → a label selector string (operation "==" "!=" "in" "notin" "exists" "!"). */
export function labelSelector(sels: Selector[] | undefined): string | undefined {
  if (!sels?.length) return undefined;
  return sels
    .map((s) => {
      const op = (s.operation ?? '=').trim();
      if (op === 'exists' || op === '') return s.key;
      if (op === '!' || op === 'doesnotexist') return `!${s.key}`;
      if (op === 'in' || op === 'notin') return `${s.key} ${op} (${s.value ?? ''})`;
      return `${s.key}${op}${s.value ?? ''}`;
    })
    .join(',');
}

const get = (o: unknown, path: string): unknown => path.split('.').reduce<any>((a, k) => (a == null ? undefined : a[k]), o);

/** Field filters, evaluated on the object (key: a dotted path such as metadata.name). */
export function fieldsMatch(obj: unknown, sels: Selector[] | undefined): boolean {
  for (const s of sels ?? []) {
    const v = get(obj, s.key);
    const str = v === undefined || v === null ? '' : String(v);
    const op = (s.operation ?? '=').trim();
    const vals = String(s.value ?? '').split(',').map((x) => x.trim());
    const ok = op === '!=' ? str !== s.value : op === 'in' ? vals.includes(str) : op === 'notin' ? !vals.includes(str) : op === 'exists' ? v !== undefined : str === s.value;
    if (!ok) return false;
  }
  return true;
}

export async function startResource(ctx: SourceContext, spec: any): Promise<Source> {
  const kube = ctx.kube();
  const group: string = spec.group ?? '';
  const version: string = spec.version ?? 'v1';
  const plural: string = spec.resource;
  if (!plural) throw new Error('resource: resource (the plural name) is required');
  const found = (await kube.resources(group, version)).find((r) => r.plural === plural);
  if (!found) throw new Error(`resource: the server has no resource ${plural} in ${group || 'core'}/${version}`);
  const r: Resource = found;
  const types: string[] = (spec.eventTypes ?? ['ADD', 'UPDATE', 'DELETE']).map((t: string) => t.toUpperCase());
  const f = spec.filter ?? {};
  const startedAt = Date.now();
  const inf = new Informer(kube, r, { namespace: r.namespaced ? spec.namespace || undefined : undefined, labelSelector: labelSelector(f.labels), log: (m) => ctx.log('warn', `resource: ${m}`) });
  const pass = (obj: any, type: string) => {
    if (!types.includes(type)) return false;
    if (f.prefix && !String(obj?.metadata?.name ?? '').startsWith(f.prefix)) return false;
    if (!fieldsMatch(obj, f.fields)) return false;
    if (f.createdBy && Date.parse(obj?.metadata?.creationTimestamp ?? '') > Date.parse(f.createdBy)) return false;
    if (f.afterStart && Date.parse(obj?.metadata?.creationTimestamp ?? '') < startedAt - 1000 && type === 'ADD') return false;
    return true;
  };
  const send = (obj: unknown, type: string) => {
    if (!pass(obj, type)) return;
    void ctx.emit({ type, body: obj, group, version, resource: plural, metadata: spec.metadata }).catch((e) => ctx.log('error', `resource: publishing failed: ${(e as Error).message}`));
  };
  inf.on({
    add: (o) => send(o, 'ADD'),
    update: (_old, o) => {
      if (_old.metadata?.resourceVersion === o.metadata?.resourceVersion) return;
      send(o, 'UPDATE');
    },
    delete: (o) => send(o, 'DELETE'),
  });
  inf.start();
  return { stop: async () => inf.stop() };
}
