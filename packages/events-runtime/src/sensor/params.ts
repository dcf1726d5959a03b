/**
 * Trigger parameters: a value from a dependency's event (dataKey / dataTemplate / contextKey /
 * contextTemplate, data before context, template before key, `value` as the default) written at
 * `dest` in a JSON document with operation overwrite / append / prepend.
 */
import { getPath, resultString, setPath } from './gjson.js';
import { renderTemplate } from './template.js';
import type { CloudEvent } from '../config.js';

export interface ParamSource {
  dependencyName: string;
  contextKey?: string;
  contextTemplate?: string;
  dataKey?: string;
  dataTemplate?: string;
  value?: string;
  useRawData?: boolean;
}
export interface TriggerParameter {
  src: ParamSource;
  dest: string;
  operation?: 'overwrite' | 'append' | 'prepend' | string;
}

export class ParamError extends Error {}

export const contextOf = (ev: CloudEvent) => ({ id: ev.id, source: ev.source, specversion: ev.specversion, type: ev.type, datacontenttype: ev.datacontenttype, subject: ev.subject, time: ev.time });

/** The value of a parameter source: { value, raw } where raw is set for JSON to be written as JSON (useRawData). */
export function resolveParam(src: ParamSource, events: Record<string, CloudEvent>): { value: string; raw?: unknown } {
  const ev = events[src.dependencyName];
  if (ev) {
    let doc: unknown;
    let key: string | undefined;
    let tpl: string | undefined;
    if (!src.contextKey && !src.dataKey && !src.dataTemplate && !src.contextTemplate) {
      // no key nor template: the given value, else the event's data as it is
      if (src.value !== undefined && src.value !== null) return { value: String(src.value) };
      return { value: resultString(ev.data), raw: src.useRawData ? ev.data : undefined };
    }
    if (src.contextKey || src.contextTemplate) {
      doc = contextOf(ev);
      key = src.contextKey;
      tpl = src.contextTemplate;
    }
    if (src.dataKey || src.dataTemplate) {
      doc = ev.data;
      key = src.dataKey;
      tpl = src.dataTemplate;
    }
    if (tpl) {
      try {
        return { value: renderTemplate(tpl, { Input: doc }) };
      } catch {
        /* fall through to the key, then the default */
      }
    }
    if (key) {
      const r = getPath(doc, key);
      if (r.exists) return src.useRawData ? { value: JSON.stringify(r.value), raw: r.value } : { value: resultString(r.value) };
    }
  }
  if (src.value !== undefined && src.value !== null) return { value: String(src.value) };
  throw new ParamError(ev ? `parameter for ${src.dependencyName}: ${src.dataKey || src.contextKey ? `key ${JSON.stringify(src.dataKey || src.contextKey)} not found in the event` : 'template failed'} and no default value` : `parameter for ${src.dependencyName}: no event of that dependency and no default value`);
}

/** Applies parameters to a JSON document (mutated and returned). */
export function applyParams<T>(doc: T, params: TriggerParameter[] | undefined, events: Record<string, CloudEvent>): T {
  let out: unknown = doc;
  for (const p of params ?? []) {
    if (!p.dest) throw new ParamError('parameter without dest');
    const r = resolveParam(p.src, events);
    let v: unknown = r.raw !== undefined ? r.raw : r.value;
    const op = p.operation ?? 'overwrite';
    if (op === 'append' || op === 'prepend') {
      const cur = getPath(out, p.dest);
      const curStr = cur.exists ? resultString(cur.value) : '';
      v = op === 'append' ? curStr + r.value : r.value + curStr;
    } else if (op !== 'overwrite' && op !== '') throw new ParamError(`parameter ${p.dest}: unknown operation ${op}`);
    out = setPath(out, p.dest, v);
  }
  return out as T;
}

/** An http/nats payload: parameters written into an empty JSON object. */
export function buildPayload(params: TriggerParameter[] | undefined, events: Record<string, CloudEvent>): Record<string, unknown> {
  return applyParams({}, params, events);
}
