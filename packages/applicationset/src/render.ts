/**
 * Template rendering (pure). fasttemplate mode: the Application template's JSON with `{{ key }}`
 * tags replaced by the flat parameter of that name (JSON-escaped), unknown tags left as written.
 * goTemplate mode: every string of the template is a Go text/template executed with the nested
 * parameters, Sprig functions (without env, expandenv, getHostByName) plus normalize, slugify,
 * toYaml, fromYaml, fromYamlArray; `goTemplateOptions` (`missingkey=error`) apply; `templatePatch`
 * is rendered the same way, read as YAML and merged into the rendered Application.
 */
import { goFunc, TemplateSet } from '@flotilla/gotemplate';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { sanitizeName, slugify } from './params.js';
import type { AppTemplate, Application, ApplicationSet, Params } from './types.js';
import { GeneratorError } from './types.js';

/** Replaces `{{ key }}` tags in `text` with params (escape each value with `esc`); unknown tags stay. */
export function fasttemplate(text: string, params: Record<string, unknown>, esc: (s: string) => string = (s) => s): string {
  return text.replace(/\{\{([\s\S]*?)\}\}/g, (whole, key: string) => {
    const k = key.trim();
    if (!Object.prototype.hasOwnProperty.call(params, k)) return whole;
    const v = params[k];
    return esc(typeof v === 'string' ? v : JSON.stringify(v));
  });
}

const jsonEscape = (s: string) => JSON.stringify(s).slice(1, -1);

/** Renders any JSON value in fasttemplate mode. */
export function renderFast<T>(value: T, params: Record<string, unknown>): T {
  const text = JSON.stringify(value);
  const out = fasttemplate(text, params, jsonEscape);
  try {
    return JSON.parse(out) as T;
  } catch (e) {
    throw new GeneratorError(`the rendered template is not valid JSON: ${(e as Error).message}`);
  }
}

function extraFuncs() {
  return {
    normalize: goFunc(['string'], null, (s: string) => sanitizeName(s)),
    slugify: goFunc(['int', 'bool', 'string'], null, (n: unknown, smart: boolean, s: string) => slugify(Number(n), smart, s)),
    toYaml: goFunc(['any'], null, (v: unknown) => (v === undefined || v === null ? '' : toYaml(v).replace(/\n$/, ''))),
    fromYaml: goFunc(['string'], null, (s: string) => {
      try {
        return parseYaml(s) ?? {};
      } catch (e) {
        return { Error: (e as Error).message };
      }
    }),
    fromYamlArray: goFunc(['string'], null, (s: string) => {
      try {
        const v = parseYaml(s);
        return Array.isArray(v) ? v : [];
      } catch (e) {
        return [(e as Error).message];
      }
    }),
  };
}

/** Go template options (`missingkey=error` …) → the set's options. */
export function goOptions(opts: string[] | undefined): { missingKey?: 'default' | 'invalid' | 'zero' | 'error' } {
  const out: { missingKey?: 'default' | 'invalid' | 'zero' | 'error' } = {};
  for (const o of opts ?? []) {
    const m = /^missingkey=(default|invalid|zero|error)$/.exec(o);
    if (!m) throw new GeneratorError(`goTemplateOptions: unknown option "${o}" (known: missingkey=default|invalid|zero|error)`);
    out.missingKey = m[1] as 'default';
  }
  return out;
}

/** Executes one Go template string with the params. */
export function goRender(text: string, params: Params, options?: string[], name = 'template'): string {
  if (!text.includes('{{')) return text;
  const set = new TemplateSet({ sprigOptions: { env: {} }, ...goOptions(options) });
  for (const f of ['env', 'expandenv', 'getHostByName']) set.funcs({ [f]: goFunc([], null, () => { throw new Error(`function "${f}" not defined`); }) });
  set.funcs(extraFuncs());
  try {
    set.parse(name, text);
    return set.execute(name, params);
  } catch (e) {
    throw new GeneratorError(`failed to execute go template ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
}

/** Renders every string (values and keys) of a JSON value in goTemplate mode. */
export function renderGo<T>(value: T, params: Params, options?: string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return goRender(v, params, options);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [goRender(k, params, options), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** RFC 7386 JSON merge patch (lists replaced, null deletes). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The template a generator yields with: the generator's own template merged over the spec's. */
export function effectiveTemplate(base: AppTemplate | undefined, own: AppTemplate | undefined): AppTemplate {
  return mergePatch(base ?? {}, own ?? {}) as AppTemplate;
}

/** One Application from the template and one parameter set (pure). */
export function renderApplication(set: ApplicationSet, template: AppTemplate, params: Params): Application {
  const spec = set.spec ?? {};
  let rendered: AppTemplate;
  if (spec.goTemplate) {
    rendered = renderGo(template, params, spec.goTemplateOptions);
    if (spec.templatePatch) {
      const text = goRender(spec.templatePatch, params, spec.goTemplateOptions, 'templatePatch');
      let patch: unknown;
      try {
        patch = parseYaml(text);
      } catch (e) {
        throw new GeneratorError(`templatePatch is not YAML after rendering: ${(e as Error).message}`);
      }
      if (patch && typeof patch === 'object') rendered = mergePatch(rendered, patch) as AppTemplate;
    }
  } else {
    if (spec.templatePatch) throw new GeneratorError('templatePatch requires goTemplate: true');
    rendered = renderFast(template, params as Record<string, unknown>);
  }
  const md = rendered.metadata ?? {};
  const name = md.name;
  if (!name) throw new GeneratorError('the rendered Application has no metadata.name');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
    throw new GeneratorError(`the rendered Application name "${name}" is not a valid resource name (lower-case letters, digits, '-' and '.')`);
  const ns = set.metadata?.namespace;
  if (md.namespace && ns && md.namespace !== ns)
    throw new GeneratorError(`Application "${name}": namespace "${md.namespace}" differs from the ApplicationSet's namespace "${ns}" (Applications are created in the ApplicationSet's namespace)`);
  const metadata: Record<string, unknown> = { name, namespace: ns };
  if (md.labels && Object.keys(md.labels).length) metadata.labels = md.labels;
  if (md.annotations && Object.keys(md.annotations).length) metadata.annotations = md.annotations;
  if (md.finalizers?.length) metadata.finalizers = md.finalizers;
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata, spec: rendered.spec ?? {} } as Application;
}
