/**
 * @flotilla/controllers — Kubernetes' workload controllers as API clients: Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job, CronJob, Endpoints/EndpointSlices, namespace defaults (ServiceAccount
 * "default", ConfigMap "kube-root-ca.crt"), ServiceAccount token Secrets, a scheduler and a local-path volume provisioner. They talk to the cluster only through the
 * Kubernetes API, so they run against the embedded API server and against a real cluster alike.
 */
import { KubeClient, type KubeConfigLike } from '@flotilla/kube-runtime';
import { Controller, makeContext, type ControllerContext } from './controller.js';
import { CronJobController, type CronJobOptions } from './cronjob.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { EndpointsController } from './endpoints.js';
import { JobController, type JobOptions } from './job.js';
import { NamespaceDefaultsController } from './namespace-defaults.js';
import { ServiceAccountTokenController, type ServiceAccountTokenOptions } from './serviceaccount-token.js';
import { LocalPathProvisioner } from './provisioner.js';
import { ReplicaSetController } from './replicaset.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import { StatefulSetController } from './statefulset.js';
import type { Clock } from './util.js';
import { LeaderElector, type LeaderElectionOptions } from '@flotilla/kube-runtime';

export const CONTROLLER_NAMES = ['deployment', 'replicaset', 'statefulset', 'daemonset', 'job', 'cronjob', 'endpoints', 'namespace-defaults', 'serviceaccount-token', 'scheduler', 'provisioner'] as const;
export type ControllerName = (typeof CONTROLLER_NAMES)[number];

export interface ControllersOptions {
  /** a kubeconfig path or YAML text, a KubeConfig, or { url, caPem, token }; default: KUBECONFIG / in-cluster */
  kubeconfig?: KubeConfigLike;
  /** watch and manage only this namespace */
  namespace?: string;
  log?: (msg: string) => void;
  /** the clock the controllers read (inject a fake one in tests) */
  clock?: Clock;
  /** which controllers to run (default: all; the provisioner only when storageDir is set) */
  controllers?: readonly ControllerName[];
  /** CA bundle published as kube-root-ca.crt (default: the kubeconfig's cluster CA) */
  caPem?: string;
  scheduler?: SchedulerOptions;
  job?: JobOptions;
  cronJob?: CronJobOptions;
  /** the ServiceAccount token controller (its ca.crt is `caPem`) */
  serviceAccountToken?: Omit<ServiceAccountTokenOptions, 'caPem'>;
  /**
   * the local-path provisioner's base directory for volumes (`flotilla up`: <dataDir>/storage); it
   * must be on the machine the pods run on, so the provisioner does not run without it
   */
  storageDir?: string;
  /** record core/v1 Events (default true) */
  events?: boolean;
  /** run only while holding a Lease (several replicas, one active); true for the defaults */
  leaderElection?: boolean | LeaderElectionOptions;
  /** client-side rate limit (default 1000 requests/s, burst 2000: the controllers of one cluster share one client) */
  qps?: number;
  burst?: number;
}

function newClient(opts: ControllersOptions): KubeClient {
  return new KubeClient(opts.kubeconfig, { fieldManager: 'flotilla-controllers', qps: opts.qps ?? 1000, burst: opts.burst ?? 2000 });
}

export interface RunningControllers {
  client: KubeClient;
  /** the controllers running now (none while another replica leads) */
  readonly controllers: Controller[];
  readonly context: ControllerContext | undefined;
  isLeader(): boolean;
  stop(): Promise<void>;
}

function build(name: ControllerName, ctx: ControllerContext, opts: ControllersOptions): Controller {
  switch (name) {
    case 'deployment':
      return new DeploymentController(ctx);
    case 'replicaset':
      return new ReplicaSetController(ctx);
    case 'statefulset':
      return new StatefulSetController(ctx);
    case 'daemonset':
      return new DaemonSetController(ctx);
    case 'job':
      return new JobController(ctx, opts.job);
    case 'cronjob':
      return new CronJobController(ctx, opts.cronJob);
    case 'endpoints':
      return new EndpointsController(ctx);
    case 'namespace-defaults':
      return new NamespaceDefaultsController(ctx, { caPem: opts.caPem });
    case 'serviceaccount-token':
      return new ServiceAccountTokenController(ctx, { ...opts.serviceAccountToken, caPem: opts.caPem });
    case 'scheduler':
      return new Scheduler(ctx, opts.scheduler);
    case 'provisioner':
      if (!opts.storageDir) throw new Error('the provisioner needs the storageDir option (where volumes are created)');
      return new LocalPathProvisioner(ctx, { storageDir: opts.storageDir });
  }
}

/**
 * Starts the controllers (all by default) over shared informers; resolves once their caches are
 * synced. With leaderElection it resolves at once and the controllers run while this replica holds
 * the Lease.
 */
export async function startControllers(opts: ControllersOptions = {}): Promise<RunningControllers> {
  if (!opts.leaderElection) return startNow(opts);
  const client = newClient(opts);
  let current: RunningControllers | undefined;
  let starting: Promise<void> | undefined;
  const log = opts.log ?? (() => {});
  const elector = new LeaderElector(client, opts.leaderElection === true ? {} : opts.leaderElection, {
    log,
    onStartedLeading: () => {
      // not awaited: the elector keeps renewing while the caches fill
      starting = startNow({ ...opts, leaderElection: false }).then(
        (r) => {
          current = r;
        },
        (e) => log(`controllers failed to start: ${(e as Error).message}`),
      );
    },
    onStoppedLeading: async () => {
      await starting;
      const r = current;
      current = undefined;
      await r?.stop();
    },
  });
  elector.start();
  return {
    client,
    get controllers() {
      return current?.controllers ?? [];
    },
    get context() {
      return current?.context;
    },
    isLeader: () => elector.isLeader,
    async stop() {
      await elector.stop();
      client.close();
    },
  };
}

async function startNow(opts: ControllersOptions): Promise<RunningControllers> {
  const names = opts.controllers ?? CONTROLLER_NAMES.filter((n) => n !== 'provisioner' || !!opts.storageDir);
  if (names.includes('provisioner') && !opts.storageDir) throw new Error('the provisioner needs the storageDir option (where volumes are created)');
  const client = newClient(opts);
  const context = makeContext(client, { namespace: opts.namespace, log: opts.log, clock: opts.clock, events: opts.events });
  const controllers = names.map((n) => build(n, context, opts));
  context.informers.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all(controllers.map((c) => c.stop()));
    await context.informers.stop();
    client.close();
  };
  try {
    await Promise.all(controllers.map((c) => c.start()));
  } catch (e) {
    await stop();
    throw e;
  }
  context.log(`controllers started: ${names.join(', ')}`);
  return { client, context, controllers, stop, isLeader: () => !stopped };
}

const one = (name: ControllerName) => (opts: Omit<ControllersOptions, 'controllers'> = {}) => startControllers({ ...opts, controllers: [name] });
export const startDeploymentController = one('deployment');
export const startReplicaSetController = one('replicaset');
export const startStatefulSetController = one('statefulset');
export const startDaemonSetController = one('daemonset');
export const startJobController = one('job');
export const startCronJobController = one('cronjob');
export const startEndpointsController = one('endpoints');
export const startNamespaceDefaultsController = one('namespace-defaults');
export const startServiceAccountTokenController = one('serviceaccount-token');
export const startScheduler = one('scheduler');
export const startProvisioner = one('provisioner');

export { Controller, Expectations, makeContext, type ControllerContext, type ReconcileResult } from './controller.js';
export { DeploymentController, planDeployment, resolveFenceposts, equalIgnoreHash, podTemplateHash, REVISION, REVISION_HISTORY, HASH_LABEL, type DeploymentPlan, type DeploymentAction } from './deployment.js';
export { ReplicaSetController, replicaSetStatus, replicaDiff } from './replicaset.js';
export { StatefulSetController, planStatefulSet, statefulPod, statefulSetStatus, ordinalOf } from './statefulset.js';
export { DaemonSetController, planDaemonSet, nodeShouldRunDaemonPod, daemonPod } from './daemonset.js';
export { JobController, planJob, jobPod, jobFinished, formatIndexes, parseIndexes, type JobOptions } from './job.js';
export { CronJobController, decideCronJob, jobFromCronJob, cronJobName, type CronJobOptions } from './cronjob.js';
export { CronSchedule, CronError } from './cron.js';
export { EndpointsController, desiredEndpoints, desiredEndpointSlices, endpointsObject } from './endpoints.js';
export { NamespaceDefaultsController, ROOT_CA_CONFIGMAP } from './namespace-defaults.js';
export { ServiceAccountTokenController, tokenClaims, tokenFits, SA_TOKEN_TYPE, SA_NAME_ANNOTATION, SA_UID_ANNOTATION, SECRET_TOKEN_SECONDS, type ServiceAccountTokenOptions } from './serviceaccount-token.js';
export { LocalPathProvisioner, findVolume, volumeMismatch, claimClass, LOCAL_PATH_CLASS, LOCAL_PATH_PROVISIONER, PVS, STORAGE_CLASSES, type ProvisionerOptions } from './provisioner.js';
export { Scheduler, schedulePod, DEFAULT_NODE_NAME, type SchedulerOptions, type NodeOption } from './scheduler.js';
export { podFitsNode, podRequests, parseQuantity, tolerates, unschedulableMessage } from './scheduling.js';
export { rankPodsForDeletion, podFromTemplate } from './pods.js';
export { classifyClaims } from './claim.js';
export { scaledValue, computeHash, realClock, type Clock } from './util.js';
