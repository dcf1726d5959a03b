/**
 * The notifications configuration as upstream keeps it: a ConfigMap (`argocd-notifications-cm`,
 * `argo-rollouts-notification-configmap`) with `trigger.<name>`, `template.<name>`,
 * `service.<type>[.<name>]`, `subscriptions`, `defaultTriggers[.<service>]` and `context` keys, and a
 * Secret whose keys service configurations reference as `$key`. Pure: parsing and validation only.
 */
import { parse as parseYaml } from 'yaml';

export interface Condition {
  when: string;
  send: string[];
  oncePer?: string;
  description?: string;
}

/** A template: `message` plus per-service fields (`email`, `slack`, `webhook`, `teams`…), all Go templates. */
export type TemplateSpec = Record<string, unknown> & { message?: string };

export interface ServiceConfig {
  /** the service's name in subscriptions (`slack`, or `<name>` of `service.<type>.<name>`) */
  name: string;
  type: string;
  /** the configuration with `$key` references to the Secret resolved */
  config: Record<string, unknown>;
}

export interface DefaultSubscription {
  recipients: string[];
  triggers: string[];
  selector?: string;
}

export interface NotifConfig {
  triggers: Map<string, Condition[]>;
  templates: Map<string, TemplateSpec>;
  services: Map<string, ServiceConfig>;
  subscriptions: DefaultSubscription[];
  defaultTriggers: string[];
  /** `defaultTriggers.<service>` */
  serviceDefaultTriggers: Map<string, string[]>;
  context: Record<string, string>;
}

export class ConfigError extends Error {}

export const SERVICE_TYPES = ['webhook', 'email', 'slack', 'mattermost', 'teams', 'telegram', 'github'] as const;

function yamlOf(where: string, text: string): unknown {
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ConfigError(`${where}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function strList(where: string, v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new ConfigError(`${where}: expected a list of strings`);
  return v as string[];
}

export function parseConditions(where: string, text: string): Condition[] {
  const v = yamlOf(where, text);
  if (!Array.isArray(v)) throw new ConfigError(`${where}: expected a list of conditions (- when: … send: […])`);
  return v.map((c, i) => {
    const at = `${where}[${i}]`;
    if (!c || typeof c !== 'object') throw new ConfigError(`${at}: expected a mapping`);
    const o = c as Record<string, unknown>;
    if (typeof o.when !== 'string' || !o.when.trim()) throw new ConfigError(`${at}.when: required (an expr expression)`);
    const send = strList(`${at}.send`, o.send);
    if (send.length === 0) throw new ConfigError(`${at}.send: at least one template is required`);
    if (o.oncePer !== undefined && typeof o.oncePer !== 'string') throw new ConfigError(`${at}.oncePer: expected an expr expression string`);
    return { when: o.when, send, oncePer: (o.oncePer as string | undefined) || undefined, description: typeof o.description === 'string' ? o.description : undefined };
  });
}

/** Replaces `$key` references whose key exists in the Secret (other `$…` text is left alone). */
export function resolveSecrets(v: unknown, secret: Record<string, string>): unknown {
  if (typeof v === 'string') {
    return v.replace(/\$([A-Za-z0-9_.-]+)/g, (m, k: string) => {
      // longest key that the reference starts with (`$token.x` → key `token` when `token.x` is absent)
      for (let n = k.length; n > 0; n--) {
        const key = k.slice(0, n);
        if (Object.prototype.hasOwnProperty.call(secret, key)) return secret[key]! + k.slice(n);
      }
      return m;
    });
  }
  if (Array.isArray(v)) return v.map((x) => resolveSecrets(x, secret));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveSecrets(x, secret)]));
  return v;
}

/** Parses the ConfigMap's data and the Secret's (decoded) data. Errors name the key. */
export function parseConfig(data: Record<string, string> = {}, secret: Record<string, string> = {}): NotifConfig {
  const cfg: NotifConfig = { triggers: new Map(), templates: new Map(), services: new Map(), subscriptions: [], defaultTriggers: [], serviceDefaultTriggers: new Map(), context: {} };
  for (const [key, text] of Object.entries(data)) {
    if (key.startsWith('trigger.')) {
      cfg.triggers.set(key.slice('trigger.'.length), parseConditions(key, text));
    } else if (key.startsWith('template.')) {
      const v = yamlOf(key, text);
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${key}: expected a mapping (message: …, email: {subject: …}, …)`);
      cfg.templates.set(key.slice('template.'.length), v as TemplateSpec);
    } else if (key.startsWith('service.')) {
      const rest = key.slice('service.'.length);
      const dot = rest.indexOf('.');
      const type = dot < 0 ? rest : rest.slice(0, dot);
      const name = dot < 0 ? rest : rest.slice(dot + 1);
      if (!(SERVICE_TYPES as readonly string[]).includes(type)) throw new ConfigError(`${key}: unknown service type "${type}" (this build has ${SERVICE_TYPES.join(', ')})`);
      const v = yamlOf(key, text) ?? {};
      if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${key}: expected a mapping`);
      cfg.services.set(name, { name, type, config: resolveSecrets(v, secret) as Record<string, unknown> });
    } else if (key === 'subscriptions') {
      const v = yamlOf(key, text) ?? [];
      if (!Array.isArray(v)) throw new ConfigError(`subscriptions: expected a list of {recipients, triggers, selector}`);
      cfg.subscriptions = v.map((s, i) => {
        const o = (s ?? {}) as Record<string, unknown>;
        const sel = o.selector;
        if (sel !== undefined && typeof sel !== 'string') throw new ConfigError(`subscriptions[${i}].selector: expected a label selector string`);
        return { recipients: strList(`subscriptions[${i}].recipients`, o.recipients), triggers: strList(`subscriptions[${i}].triggers`, o.triggers), selector: sel as string | undefined };
      });
    } else if (key === 'defaultTriggers') {
      cfg.defaultTriggers = strList(key, yamlOf(key, text));
    } else if (key.startsWith('defaultTriggers.')) {
      cfg.serviceDefaultTriggers.set(key.slice('defaultTriggers.'.length), strList(key, yamlOf(key, text)));
    } else if (key === 'context') {
      const v = yamlOf(key, text) ?? {};
      if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError('context: expected a mapping');
      cfg.context = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));
    }
  }
  return cfg;
}

/** Decodes a Secret's data (base64) merged with stringData. */
export function secretData(s: { data?: Record<string, string>; stringData?: Record<string, string> } | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s?.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return Object.assign(out, s?.stringData ?? {});
}
