/**
 * `argocd admin notifications template get|notify` and `trigger get|run`: try the notifications
 * configuration offline — from files (--config-map, --secret) or the cluster's
 * argocd-notifications-cm / argocd-notifications-secret — against an Application from the cluster
 * or a local YAML file. `notify` really sends; the `console` recipient prints instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import YAML from '@flotilla/cli-kit/yaml';
import { Command } from '@flotilla/cli-kit/command';
import { io, println } from '@flotilla/cli-kit/io';
import { printResource, table } from '../output.js';
import { CliError, kubeClient, kubeFlags, kubeNamespace, RES as R } from '../session.js';
import type { FlagDef } from '@flotilla/cli-kit';

type Group = (use: string, short: string, ...children: Command[]) => Command;
type Notif = typeof import('@flotilla/notifications');

const APPLICATIONS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const APPPROJECTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };

function flags(): FlagDef[] {
  return [
    ...kubeFlags(),
    { name: 'config-map', type: 'string', usage: 'argocd-notifications-cm.yaml file path' },
    { name: 'secret', type: 'string', usage: "argocd-notifications-secret.yaml file path. Use empty secret if provided value is ':empty'" },
  ];
}

function readObject(path: string, what: string): any {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  try {
    const v = YAML.parse(text);
    if (!v || typeof v !== 'object') throw new Error('not a mapping');
    return v;
  } catch (e) {
    throw new CliError(`${what} ${path} is not valid YAML: ${(e as Error).message}`);
  }
}

interface Loaded {
  n: Notif;
  cfg: import('@flotilla/notifications').NotifConfig;
  opts: Record<string, any>;
}

async function load(opts: Record<string, any>): Promise<Loaded> {
  const n = await import('@flotilla/notifications');
  const ns = kubeNamespace(opts, 'argocd');
  let cm: any;
  let secret: any;
  if (opts.configMap) cm = readObject(opts.configMap, 'ConfigMap');
  if (opts.secret === ':empty') secret = {};
  else if (opts.secret) secret = readObject(opts.secret, 'Secret');
  if (!cm || !secret) {
    const k = await kubeClient(opts);
    const get = (r: typeof R.secrets, name: string) =>
      k.get(r, ns, name).catch((e) => {
        throw new CliError(`${name} in namespace ${ns}: ${(e as Error).message} (or give --config-map / --secret files)`);
      });
    cm ??= await get(R.configmaps, 'argocd-notifications-cm');
    secret ??= await get(R.secrets, 'argocd-notifications-secret');
  }
  try {
    const cfg = n.parseConfig(cm.data ?? {}, n.secretData(secret));
    cfg.context = { argocdUrl: 'https://localhost:4000', ...cfg.context };
    return { n, cfg, opts };
  } catch (e) {
    throw new CliError(`${opts.configMap ?? 'argocd-notifications-cm'}: ${(e as Error).message}`);
  }
}

/** The Application: a local YAML file when the argument is one, else by name from the cluster. */
async function application(opts: Record<string, any>, arg: string): Promise<{ app: any; project?: any }> {
  if (existsSync(arg)) return { app: readObject(arg, 'Application') };
  const k = await kubeClient(opts);
  const ns = kubeNamespace(opts, 'argocd');
  const app: any = await k.get(APPLICATIONS, ns, arg).catch((e) => {
    throw new CliError(`application ${arg} in namespace ${ns}: ${(e as Error).message}`);
  });
  const project = await k.get(APPPROJECTS, ns, app.spec?.project || 'default').catch(() => undefined);
  return { app, project };
}

function need<T>(m: Map<string, T>, name: string, what: string): T {
  const v = m.get(name);
  if (v === undefined) throw new CliError(`${what} '${name}' is not supported (defined: ${[...m.keys()].sort().join(', ') || 'none'})`);
  return v;
}

function preview(s: unknown): string {
  const t = String(s ?? '').trim().split('\n')[0]!;
  return t.length > 70 ? t.slice(0, 67) + '...' : t;
}

function templateGet(): Command {
  return new Command({
    use: 'get [NAME]',
    short: 'Prints information about configured templates',
    example: `
# prints all templates
argocd admin notifications template get
# print YAML formatted app-sync-succeeded template definition
argocd admin notifications template get app-sync-succeeded -o=yaml`,
    flags: [...flags(), { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of:json|yaml|wide|name', default: 'wide' }],
    args: { max: 1 },
    run: async ({ args, opts }) => {
      const { cfg } = await load(opts);
      const names = args[0] ? [args[0]] : [...cfg.templates.keys()].sort();
      const items = names.map((name) => ({ name, ...need(cfg.templates, name, 'template') }));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(args[0] ? items[0] : items, opts.output);
      if (opts.output === 'name') return void items.forEach((t) => println(t.name));
      const w = table().row('NAME', 'PREVIEW');
      for (const t of items) w.row(t.name, preview(t.message ?? (t as Record<string, unknown>).email));
      io.out(w.flush());
    },
  });
}

function templateNotify(): Command {
  return new Command({
    use: 'notify NAME RESOURCE_NAME',
    short: 'Generates notification using the specified template and send it to specified recipients',
    example: `
# Trigger notification using in-cluster config map and secret
argocd admin notifications template notify app-sync-succeeded guestbook --recipient slack:my-slack-channel
# Render notification render generated notification in console
argocd admin notifications template notify app-sync-succeeded guestbook`,
    flags: [...flags(), { name: 'recipient', type: 'stringArray', usage: 'List of recipients', default: ['console:stdout'] }],
    args: { min: 2, max: 2 },
    run: async ({ args, opts }) => {
      const { n, cfg } = await load(opts);
      const spec = need(cfg.templates, args[0]!, 'template');
      const { app } = await application(opts, args[1]!);
      const send = n.serviceSender(cfg);
      let failed = false;
      for (const r of (opts.recipient as string[]).length ? (opts.recipient as string[]) : ['console:stdout']) {
        const i = r.indexOf(':');
        const service = i < 0 ? r : r.slice(0, i);
        const recipient = i < 0 ? '' : r.slice(i + 1);
        const type = service === 'console' ? 'console' : need(cfg.services, service, 'notification service').type;
        const notification = n.renderTemplate(args[0]!, spec, n.argocdVars(app), cfg.context, type);
        if (service === 'console') {
          io.out(YAML.stringify(notification));
          continue;
        }
        try {
          await send({ trigger: '', template: args[0]!, destination: { service, recipient }, serviceType: type, notification });
          println(`notification sent to ${r}`);
        } catch (e) {
          io.err(`failed to notify '${r}': ${(e as Error).message}\n`);
          failed = true;
        }
      }
      if (failed) throw new CliError('some notifications were not sent');
    },
  });
}

function triggerGet(): Command {
  return new Command({
    use: 'get [NAME]',
    short: 'Prints information about configured triggers',
    example: `
# prints all triggers
argocd admin notifications trigger get
# print YAML formatted on-sync-failed trigger definition
argocd admin notifications trigger get on-sync-failed -o=yaml`,
    flags: [...flags(), { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of:json|yaml|wide|name', default: 'wide' }],
    args: { max: 1 },
    run: async ({ args, opts }) => {
      const { cfg } = await load(opts);
      const names = args[0] ? [args[0]] : [...cfg.triggers.keys()].sort();
      const items = names.map((name) => ({ name, conditions: need(cfg.triggers, name, 'trigger') }));
      if (opts.output === 'json' || opts.output === 'yaml') return printResource(args[0] ? items[0] : items, opts.output);
      if (opts.output === 'name') return void items.forEach((t) => println(t.name));
      const w = table().row('NAME', 'TEMPLATE', 'CONDITION');
      for (const t of items) for (const c of t.conditions) w.row(t.name, c.send.join(', '), c.when.trim());
      io.out(w.flush());
    },
  });
}

function triggerRun(): Command {
  return new Command({
    use: 'run NAME RESOURCE_NAME',
    short: 'Evaluates specified trigger condition and prints the result',
    example: `
# Execute trigger configured in 'argocd-notification-cm' ConfigMap
argocd admin notifications trigger run on-sync-status-unknown ./sample-app.yaml
# Execute trigger using my-config-map.yaml instead of 'argocd-notifications-cm' ConfigMap
argocd admin notifications trigger run on-sync-status-unknown ./sample-app.yaml --config-map ./my-config-map.yaml`,
    flags: flags(),
    args: { min: 2, max: 2 },
    run: async ({ args, opts }) => {
      const { n, cfg } = await load(opts);
      const conds = need(cfg.triggers, args[0]!, 'trigger');
      const { app } = await application(opts, args[1]!);
      const results = n.evaluateTrigger(conds, n.argocdVars(app));
      const w = table().row('CONDITION', 'RESULT');
      results.forEach((r, i) => w.row(conds[i]!.when.trim(), String(r.triggered)));
      io.out(w.flush());
      for (const r of results) if (r.error) io.err(`error: ${r.error}\n`);
    },
  });
}

export function notificationsCommand(group: Group): Command {
  return group(
    'notifications',
    'Set of CLI commands that helps manage notifications settings',
    group('template', 'Notification templates related commands', templateGet(), templateNotify()),
    group('trigger', 'Notification triggers related commands', triggerGet(), triggerRun()),
  );
}
