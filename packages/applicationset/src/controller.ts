/**
 * argocd-applicationset-controller: informers on ApplicationSets and Applications (Argo CD's
 * namespace, or every namespace allowed by --applicationset-namespaces), Secrets and ConfigMaps of
 * Argo CD's namespace. reconcile(set): generate → render → plan under the sync policy → write the
 * Applications (owned by the set) → status (conditions, resources, RollingSync applicationStatus).
 * An error of any generator or template lands in the ErrorOccurred condition and nothing is
 * written to the Applications (in particular nothing is deleted).
 */
import type { KubeObject } from '@flotilla/apimachinery';
import { Controller, InformerFactory, isAlreadyExists, isNotFound, writeStatus, type EventRecorder, type Informer, type KubeClient, type ReconcileResult, type Resource, type RuntimeContext } from '@flotilla/kube-runtime';
import { makeContext, repoCredentials, scmPolicy } from './context.js';
import { generateAll } from './generators.js';
import { GitReader } from './git.js';
import { globMatches } from './params.js';
import { isOwnedBy, plan, resourcesStatus, RESOURCES_FINALIZER } from './plan.js';
import { renderApplication } from './render.js';
import { isRollingSync, rollout, withoutAutoSync } from './rolling.js';
import type { AppStatusEntry, Application, ApplicationSet, Condition, Generator } from './types.js';
import { eventMatches, type WebhookEvent } from './webhook.js';
import { GeneratorError } from './types.js';

export const APPLICATIONSETS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applicationsets', kind: 'ApplicationSet', namespaced: true };
export const APPLICATIONS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };
const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const APPPROJECTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };

/**
 * Apps in any namespace (pure): an ApplicationSet outside Argo CD's namespace may only generate
 * Applications whose AppProject lists that namespace in `spec.sourceNamespaces` (globs).
 */
export function checkSourceNamespaces(setNs: string, argocdNs: string, apps: Application[], project: (name: string) => KubeObject | undefined): void {
  if (setNs === argocdNs) return;
  for (const a of apps) {
    const pn = String((a.spec as { project?: string } | undefined)?.project || 'default');
    const p = project(pn) as (KubeObject & { spec?: { sourceNamespaces?: string[] } }) | undefined;
    if (!p) throw new GeneratorError(`Application ${a.metadata?.name}: AppProject "${pn}" not found`);
    if (!(p.spec?.sourceNamespaces ?? []).some((g) => globMatches(g, setNs)))
      throw new GeneratorError(`Application ${a.metadata?.name}: namespace "${setNs}" is not permitted by AppProject "${pn}" (spec.sourceNamespaces)`);
  }
}

/** upstream's request to generate again now (removed by the controller once done) */
export const REFRESH_ANNOTATION = 'argocd.argoproj.io/application-set-refresh';

export type Policy = 'sync' | 'create-only' | 'create-update' | 'create-delete';

export interface AppSetControllerOptions {
  client: KubeClient;
  namespace: string;
  /** namespaces (globs) whose ApplicationSets are reconciled besides Argo CD's own */
  applicationSetNamespaces?: string[];
  events: EventRecorder;
  log: (msg: string) => void;
  /** --policy: the policy for every set; a set's own applicationsSync wins when override is enabled */
  policy?: Policy;
  enablePolicyOverride?: boolean;
  /** --enable-progressive-syncs (RollingSync) */
  progressiveSyncs?: boolean;
  dryRun?: boolean;
  workers?: number;
  /** how often sets with git/plugin/decision generators are generated again (ms) */
  requeueAfterMs?: number;
  maxResourcesStatusCount?: number;
  gitCacheDir?: string;
  enableScmProviders?: boolean;
  allowedScmProviders?: string[];
}

/**
 * When a set is generated again without an event (ms; undefined: only on events): git and
 * clusterDecisionResource every --requeue-after; scmProvider, pullRequest and plugin every
 * `requeueAfterSeconds` of theirs (upstream's default 30 min); the smallest of the set's generators.
 */
export function requeueOf(gens: Generator[] | undefined, defaultMs: number): number | undefined {
  let min: number | undefined;
  const take = (ms: number) => (min = min === undefined ? ms : Math.min(min, ms));
  const walk = (g: Generator) => {
    if (g.git || g.clusterDecisionResource) take(defaultMs);
    for (const k of ['scmProvider', 'pullRequest', 'plugin'] as const) {
      const spec = g[k] as { requeueAfterSeconds?: number } | undefined;
      if (spec) take(spec.requeueAfterSeconds !== undefined ? spec.requeueAfterSeconds * 1000 : 30 * 60_000);
    }
    for (const c of [...(g.matrix?.generators ?? []), ...(g.merge?.generators ?? [])]) walk(c);
  };
  for (const g of gens ?? []) walk(g);
  return min;
}

function condition(type: Condition['type'], ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** New conditions keep lastTransitionTime of an unchanged status. */
export function mergeConditions(prev: Condition[] | undefined, next: Condition[], now = new Date().toISOString()): Condition[] {
  return next.map((c) => {
    const p = prev?.find((x) => x.type === c.type);
    return { ...c, lastTransitionTime: p && p.status === c.status ? p.lastTransitionTime ?? now : now };
  });
}

export class AppSetController extends Controller {
  readonly informers: InformerFactory;
  readonly sets: Informer<ApplicationSet>;
  readonly apps: Informer<Application>;
  readonly git: GitReader;
  private readonly secrets: Informer;
  private readonly cms: Informer;
  private readonly projects: Informer;
  private readonly rolloutMemo = new Map<string, AppStatusEntry[]>();
  /** when each set last read Git afresh */
  private readonly lastPass = new Map<string, number>();

  constructor(readonly opts: AppSetControllerOptions) {
    const informers = new InformerFactory(opts.client, { log: opts.log });
    const ctx: RuntimeContext = { client: opts.client, informers, log: opts.log, events: opts.events };
    super('applicationset', ctx, { workers: opts.workers ?? 10, resyncMs: 0, maxDelayMs: 30_000 });
    this.informers = informers;
    const allNs = (opts.applicationSetNamespaces ?? []).length > 0;
    const scope = allNs ? { namespace: '' } : { namespace: opts.namespace };
    this.sets = informers.for<ApplicationSet>(APPLICATIONSETS, scope);
    this.apps = informers.for<Application>(APPLICATIONS, scope);
    this.secrets = informers.for(SECRETS, { namespace: opts.namespace });
    this.cms = informers.for(CONFIGMAPS, { namespace: opts.namespace });
    this.projects = informers.for(APPPROJECTS, { namespace: opts.namespace });
    // revisions resolved within a minute are reused (Application status changes reconcile the set
    // often); the webhook, the refresh annotation and the periodic pass read Git afresh
    this.git = new GitReader({ cacheDir: opts.gitCacheDir, ttlMs: 60_000, credentials: (url) => repoCredentials(this.secrets.list() as never, url) });
    this.watch(this.sets, [{ update: (a, b) => a.metadata?.generation !== b.metadata?.generation || JSON.stringify(a.metadata?.annotations) !== JSON.stringify(b.metadata?.annotations) }]);
    this.watchOwned(this.apps, 'ApplicationSet');
    const all = () => {
      for (const s of this.sets.list()) this.enqueue(s);
    };
    const changed = (a: KubeObject, b: KubeObject) => a.metadata?.resourceVersion !== b.metadata?.resourceVersion && all();
    this.secrets.on({ add: all, update: changed, delete: all });
    this.cms.on({ add: all, update: changed, delete: all });
  }

  protected primary(): Informer {
    return this.sets;
  }

  private managed(ns: string): boolean {
    return ns === this.opts.namespace || (this.opts.applicationSetNamespaces ?? []).some((p) => globMatches(p, ns));
  }

  /** The Applications one set yields (no writes): used by reconcile, `argocd appset generate` and the API. */
  async desired(set: ApplicationSet): Promise<Application[]> {
    const ctx = makeContext({ namespace: this.opts.namespace, client: this.opts.client, secrets: this.secrets, configMaps: this.cms, git: this.git, scmRefused: scmPolicy(this.opts.enableScmProviders !== false, this.opts.allowedScmProviders ?? []) });
    const gens = await generateAll(set, ctx);
    const apps = gens.map((g) => renderApplication(set, g.template, g.params));
    const preserve = set.spec?.syncPolicy?.preserveResourcesOnDeletion;
    return apps.map((a) => {
      let out = isRollingSync(set) && this.opts.progressiveSyncs ? withoutAutoSync(a) : a;
      if (preserve && out.metadata?.finalizers) {
        const finalizers = out.metadata.finalizers.filter((f) => !f.startsWith(RESOURCES_FINALIZER));
        const { finalizers: _f, ...md } = out.metadata;
        out = { ...out, metadata: finalizers.length ? { ...md, finalizers } : md };
      }
      return out;
    });
  }

  private effective(set: ApplicationSet): ApplicationSet {
    const global = this.opts.policy ?? 'sync';
    const own = set.spec?.syncPolicy?.applicationsSync;
    const pol = this.opts.enablePolicyOverride !== false && own ? own : global;
    return { ...set, spec: { ...set.spec, syncPolicy: { ...set.spec?.syncPolicy, applicationsSync: pol } } };
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const i = key.indexOf('/');
    const set = this.sets.get(key.slice(0, i), key.slice(i + 1));
    if (!set || set.metadata?.deletionTimestamp) {
      this.lastPass.delete(key);
      for (const uid of [...this.rolloutMemo.keys()]) if (!this.sets.list().some((s) => s.metadata?.uid === uid)) this.rolloutMemo.delete(uid);
      return;
    }
    const ns = set.metadata!.namespace!;
    const name = set.metadata!.name!;
    if (!this.managed(ns)) return;
    const every = requeueOf(set.spec?.generators, this.opts.requeueAfterMs ?? 180_000);
    const requeue = every !== undefined ? { requeueAfter: every } : undefined;
    const inNs = this.apps.list().filter((a) => a.metadata?.namespace === ns);
    let desired: Application[];
    let p;
    // a refresh request and the periodic pass read Git afresh (not a revision resolved a moment ago)
    const last = this.lastPass.get(key) ?? 0;
    const every0 = requeueOf(set.spec?.generators, this.opts.requeueAfterMs ?? 180_000);
    if (set.metadata?.annotations?.[REFRESH_ANNOTATION] !== undefined || (every0 !== undefined && Date.now() - last >= every0 - 1000)) {
      this.git.forget();
      this.lastPass.set(key, Date.now());
    }
    try {
      desired = await this.desired(set);
      checkSourceNamespaces(ns, this.opts.namespace, desired, (n) => this.projects.get(this.opts.namespace, n));
      p = plan(this.effective(set), desired, inNs);
    } catch (e) {
      if (!(e instanceof GeneratorError)) throw e;
      await this.setStatus(set, [condition('ErrorOccurred', true, 'ApplicationGenerationFromParamsError', e.message), condition('ParametersGenerated', false, 'ErrorOccurred', e.message), condition('ResourcesUpToDate', false, 'ErrorOccurred', e.message)], inNs);
      this.events.event(set, 'Warning', 'ApplicationGenerationFromParamsError', e.message);
      return requeue ?? { requeueAfter: 60_000 };
    }
    const errors: string[] = [];
    if (!this.opts.dryRun) {
      const write = async (what: string, app: Application, fn: () => Promise<unknown>) => {
        try {
          await fn();
          this.log(`${what} Application ${app.metadata?.namespace}/${app.metadata?.name} (ApplicationSet ${name})`);
        } catch (e) {
          if (what === 'created' && isAlreadyExists(e)) return;
          if (what === 'deleted' && isNotFound(e)) return;
          errors.push(`${what.replace(/d$/, '')} Application ${app.metadata?.name}: ${(e as Error).message}`);
        }
      };
      await Promise.all([
        ...p.create.map((a) => write('created', a, () => this.opts.client.create(APPLICATIONS, ns, a))),
        ...p.update.map((a) => write('updated', a, () => this.opts.client.update(APPLICATIONS, a))),
        ...p.delete.map((a) =>
          write('deleted', a, async () => {
            if (set.spec?.syncPolicy?.preserveResourcesOnDeletion && a.metadata?.finalizers?.some((f) => f.startsWith(RESOURCES_FINALIZER)))
              await this.opts.client.patch(APPLICATIONS, ns, a.metadata!.name!, [{ op: 'replace', path: '/metadata/finalizers', value: a.metadata.finalizers.filter((f) => !f.startsWith(RESOURCES_FINALIZER)) }], 'json');
            await this.opts.client.delete(APPLICATIONS, ns, a.metadata!.name!);
          }),
        ),
      ]);
    }
    for (const c of p.conflicts) errors.push(`Application ${c} already exists and is not owned by ApplicationSet ${name}; leaving it alone`);
    const conds: Condition[] = errors.length
      ? [condition('ErrorOccurred', true, 'ApplicationSetApplyError', errors.join('; ')), condition('ParametersGenerated', true, 'ParametersGenerated', 'Successfully generated parameters for all Applications'), condition('ResourcesUpToDate', false, 'ApplicationSetApplyError', errors.join('; '))]
      : [condition('ErrorOccurred', false, 'ApplicationSetUpToDate', 'All applications have been generated successfully'), condition('ParametersGenerated', true, 'ParametersGenerated', 'Successfully generated parameters for all Applications'), condition('ResourcesUpToDate', true, 'ApplicationSetUpToDate', 'All applications have been generated successfully')];
    let appStatus = undefined;
    if (isRollingSync(set) && this.opts.progressiveSyncs) {
      const owned = this.apps.list().filter((a) => a.metadata?.namespace === ns && isOwnedBy(a, set));
      // the status this controller wrote last (the informer may not have it yet): the rollout's memory
      const r = rollout(set, owned, this.rolloutMemo.get(set.metadata!.uid!) ?? set.status?.applicationStatus);
      this.rolloutMemo.set(set.metadata!.uid!, r.status);
      appStatus = r.status;
      for (const appName of r.sync) {
        if (this.opts.dryRun) continue;
        await this.opts.client
          .patch(APPLICATIONS, ns, appName, { operation: { initiatedBy: { username: 'applicationset-controller', automated: true }, info: [{ name: 'Reason', value: 'ApplicationSet RollingSync triggered a sync of this Application resource.' }], sync: {} } }, 'merge')
          .catch((e) => errors.push(`sync of Application ${appName}: ${(e as Error).message}`));
      }
      const done = r.status.every((e) => e.status === 'Healthy');
      conds.push(condition('RolloutProgressing', !done, done ? 'ApplicationSetRolloutComplete' : 'ApplicationSetModified', done ? 'ApplicationSet Rollout has completed' : 'ApplicationSet is performing rollout of step ' + (r.status.find((e) => e.status !== 'Healthy')?.step ?? '?')));
    }
    if (errors.length) this.events.event(set, 'Warning', 'ApplicationSetApplyError', errors.join('; '));
    await this.setStatus(set, conds, this.apps.list().filter((a) => a.metadata?.namespace === ns), appStatus);
    if (set.metadata?.annotations?.[REFRESH_ANNOTATION] !== undefined && !this.opts.dryRun)
      await this.opts.client.patch(APPLICATIONSETS, ns, name, { metadata: { annotations: { [REFRESH_ANNOTATION]: null } } }, 'merge').catch((e) => this.log(`${key}: removing ${REFRESH_ANNOTATION}: ${(e as Error).message}`));
    if (isRollingSync(set) && this.opts.progressiveSyncs && appStatus?.some((e) => e.status !== 'Healthy')) return { requeueAfter: 5_000 };
    return requeue;
  }

  private async setStatus(set: ApplicationSet, conds: Condition[], apps: Application[], appStatus?: ApplicationSet['status'] extends infer S ? (S extends { applicationStatus?: infer A } ? A : never) : never): Promise<void> {
    const resources = resourcesStatus(set, apps).slice(0, this.opts.maxResourcesStatusCount || undefined);
    const status: NonNullable<ApplicationSet['status']> = { ...(set.status ?? {}), conditions: mergeConditions(set.status?.conditions, conds), resources };
    if (appStatus) status.applicationStatus = appStatus;
    else delete status.applicationStatus;
    if (!resources.length) delete status.resources;
    if (JSON.stringify(status) === JSON.stringify(set.status ?? {})) return;
    await writeStatus(this.opts.client, APPLICATIONSETS, set, status);
  }

  override async start(): Promise<void> {
    this.informers.start();
    await super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.informers.stop();
    this.git.close();
  }

  /** A webhook event: the sets it concerns generate at once with Git read afresh. Returns how many. */
  onWebhook(ev: WebhookEvent): number {
    let n = 0;
    for (const s of this.sets.list()) {
      if (!eventMatches(ev, s.spec?.generators)) continue;
      n++;
      this.enqueue(s);
    }
    if (n) this.git.forget();
    return n;
  }

  /** argocd-secret's values (webhook secrets). */
  argocdSecret(): Record<string, string | undefined> {
    const s = this.secrets.get(this.opts.namespace, 'argocd-secret') as (KubeObject & { data?: Record<string, string> }) | undefined;
    return Object.fromEntries(Object.entries(s?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  }

  ready(): boolean {
    return this.sets.hasSynced && this.apps.hasSynced;
  }
}
