/**
 * Who gets notified: `notifications.argoproj.io/subscribe.<trigger>.<service>: <recipients>` and
 * `notifications.argoproj.io/subscribe.<service>: <recipients>` (the default triggers) on the object
 * and on its project (AppProject), plus the ConfigMap's default `subscriptions` (label selector).
 */
import { parse as parseYaml } from 'yaml';
import type { NotifConfig } from './config.js';

export const SUBSCRIBE_PREFIX = 'notifications.argoproj.io/subscribe.';
export const NOTIFIED_ANNOTATION = 'notified.notifications.argoproj.io';
/** the YAML form: `- trigger: [t…]\n  destinations: [{service, recipients: […]}]` */
export const SUBSCRIPTIONS_ANNOTATION = 'notifications.argoproj.io/subscriptions';

export interface Destination {
  service: string;
  recipient: string;
}

/** trigger name → destinations */
export type Subscriptions = Map<string, Destination[]>;

function add(subs: Subscriptions, trigger: string, d: Destination): void {
  const l = subs.get(trigger) ?? [];
  if (!l.some((x) => x.service === d.service && x.recipient === d.recipient)) l.push(d);
  subs.set(trigger, l);
}

/** Recipients of an annotation value: separated by `;` or `,`; an empty value is one empty recipient (webhooks). */
export function parseRecipients(v: string): string[] {
  const parts = v.split(/[;,]/).map((s) => s.trim()).filter(Boolean);
  return parts.length ? parts : [''];
}

/** Subscriptions from annotations. `subscribe.<service>` uses `defaultTriggers.<service>` or `defaultTriggers`. */
export function annotationSubscriptions(annotations: Record<string, string> | undefined, cfg: Pick<NotifConfig, 'defaultTriggers' | 'serviceDefaultTriggers'>, into: Subscriptions = new Map()): Subscriptions {
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (k === SUBSCRIPTIONS_ANNOTATION) {
      yamlSubscriptions(v, cfg, into);
      continue;
    }
    if (!k.startsWith(SUBSCRIBE_PREFIX)) continue;
    const rest = k.slice(SUBSCRIBE_PREFIX.length);
    const dot = rest.lastIndexOf('.');
    if (dot < 0) {
      const service = rest;
      const triggers = cfg.serviceDefaultTriggers.get(service) ?? cfg.defaultTriggers;
      for (const t of triggers) for (const r of parseRecipients(v)) add(into, t, { service, recipient: r });
    } else {
      const trigger = rest.slice(0, dot);
      const service = rest.slice(dot + 1);
      for (const r of parseRecipients(v)) add(into, trigger, { service, recipient: r });
    }
  }
  return into;
}

/** The `notifications.argoproj.io/subscriptions` annotation; an unparsable one is an error naming it. */
function yamlSubscriptions(text: string, cfg: Pick<NotifConfig, 'defaultTriggers' | 'serviceDefaultTriggers'>, into: Subscriptions): void {
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    throw new Error(`annotation ${SUBSCRIPTIONS_ANNOTATION}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return;
  if (!Array.isArray(v)) throw new Error(`annotation ${SUBSCRIPTIONS_ANNOTATION}: expected a list of {trigger, destinations}`);
  for (const item of v as Array<Record<string, unknown>>) {
    const t = item?.trigger;
    const triggers = Array.isArray(t) ? t.map(String) : typeof t === 'string' ? [t] : [];
    for (const dst of (Array.isArray(item?.destinations) ? item.destinations : []) as Array<Record<string, unknown>>) {
      const service = String(dst?.service ?? '');
      if (!service) continue;
      const recipients = Array.isArray(dst.recipients) && dst.recipients.length ? dst.recipients.map(String) : [''];
      const ts = triggers.length ? triggers : (cfg.serviceDefaultTriggers.get(service) ?? cfg.defaultTriggers);
      for (const tr of ts) for (const r of recipients) add(into, tr, { service, recipient: r });
    }
  }
}

/** Matches a label selector string (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). */
export function matchSelector(selector: string | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector || !selector.trim()) return true;
  const reqs = selector.match(/([^,(]+(\([^)]*\))?)/g) ?? [];
  return reqs.every((raw) => {
    const r = raw.trim();
    let m: RegExpMatchArray | null;
    if ((m = r.match(/^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/))) {
      const vals = m[3]!.split(',').map((s) => s.trim());
      const has = m[1]! in labels && vals.includes(labels[m[1]!]!);
      return m[2] === 'in' ? has : !has;
    }
    if ((m = r.match(/^([^\s!=]+)\s*(==|=|!=)\s*(\S*)$/))) {
      const eq = labels[m[1]!] === m[3];
      return m[2] === '!=' ? !eq : eq;
    }
    if (r.startsWith('!')) return !(r.slice(1).trim() in labels);
    return r in labels;
  });
}

/** The ConfigMap's default subscriptions for an object with these labels (`<service>:<recipient>`). */
export function defaultSubscriptions(cfg: Pick<NotifConfig, 'subscriptions' | 'defaultTriggers'>, labels: Record<string, string> | undefined, into: Subscriptions = new Map()): Subscriptions {
  for (const s of cfg.subscriptions) {
    if (!matchSelector(s.selector, labels)) continue;
    const triggers = s.triggers.length ? s.triggers : cfg.defaultTriggers;
    for (const rcp of s.recipients) {
      const i = rcp.indexOf(':');
      const d = i < 0 ? { service: rcp, recipient: '' } : { service: rcp.slice(0, i), recipient: rcp.slice(i + 1) };
      for (const t of triggers) add(into, t, d);
    }
  }
  return into;
}

/** All subscriptions of an object: its annotations, its project's annotations, the defaults. */
export function subscriptionsOf(cfg: NotifConfig, obj: { metadata?: { annotations?: Record<string, string>; labels?: Record<string, string> } }, project?: { metadata?: { annotations?: Record<string, string> } }): Subscriptions {
  const subs: Subscriptions = new Map();
  annotationSubscriptions(obj.metadata?.annotations, cfg, subs);
  if (project) annotationSubscriptions(project.metadata?.annotations, cfg, subs);
  defaultSubscriptions(cfg, obj.metadata?.labels, subs);
  return subs;
}
