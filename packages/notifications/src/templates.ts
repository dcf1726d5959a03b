/**
 * Template rendering: every string in a template (`message`, `email.subject`, `slack.attachments`,
 * `webhook.<name>.body`…) is a Go template executed with the object's variables, `.context` and
 * `.serviceType` (the service's type; also as `.notificationType`). The result is a Notification: the same shape, rendered.
 */
import { TemplateSet } from '@flotilla/gotemplate';
import type { TemplateSpec } from './config.js';

export type Notification = Record<string, unknown> & { message?: string };

export class TemplateError extends Error {}

let set: TemplateSet | undefined;
function templates(): TemplateSet {
  // no environment access from templates (sprig's env/expandenv see nothing)
  return (set ??= new TemplateSet({ sprigOptions: { env: {} } }));
}

function renderValue(v: unknown, data: unknown, at: string): unknown {
  if (typeof v === 'string') {
    try {
      return templates().renderString(v, data, at);
    } catch (e) {
      throw new TemplateError(`${at}: ${(e as Error).message}`);
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => renderValue(x, data, `${at}[${i}]`));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderValue(x, data, `${at}.${k}`)]));
  return v;
}

/** Renders a template for one service type: `message` and that service's section (others are not rendered). */
export function renderTemplate(name: string, spec: TemplateSpec, vars: Record<string, unknown>, context: Record<string, string>, serviceType: string): Notification {
  // `.serviceType` as upstream's docs name it; `.notificationType` kept for existing templates
  const data = { ...vars, context, serviceType, notificationType: serviceType };
  const out: Notification = {};
  // `console` (the CLI's preview) renders every section
  for (const k of serviceType === 'console' ? Object.keys(spec) : ['message', 'title', serviceType]) {
    if (spec[k] !== undefined) out[k] = renderValue(spec[k], data, `template.${name}.${k}`);
  }
  return out;
}
