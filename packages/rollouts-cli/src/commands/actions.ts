/**
 * Commands that change things: promote, abort, retry, pause, restart, set image, undo, terminate,
 * create, lint. Each sends what upstream's plugin sends (patches.ts).
 */
import { readFileSync } from 'node:fs';
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import { formatDuration } from '@flotilla/cli-kit/flags';
import { R, type Resource } from '@flotilla/kube-runtime';
import type { Obj } from '../info.js';
import { abortPatch, pausePatch, promotePatches, restartPatch, retryExperimentPatch, retryRolloutPatch, setImage, terminateAnalysisRunPatch, terminateExperimentPatch, undoTemplate } from '../patches.js';
import { apiMessage, CliError, getRollout, RO, session, type GlobalOpts, type Session } from '../kube.js';
import { lintDocuments } from '../lint.js';

async function patch(s: Session, r: Resource, name: string, body: unknown, sub?: string): Promise<Obj> {
  try {
    return (await s.client.patch(r, s.namespace, name, body, 'merge', sub)) as unknown as Obj;
  } catch (e) {
    throw new CliError(apiMessage(e));
  }
}

const one = { min: 1, max: 1 };

export function promoteCommand(): Command {
  return new Command({
    use: 'promote ROLLOUT_NAME',
    short: 'Promote a rollout',
    long: 'Promote a rollout\n\nPromotes a rollout paused at a canary step, or a paused blue-green pre-promotion. To skip analysis, pauses and steps entirely, use \'--full\' to fully promote the rollout',
    example: '  # Promote a paused rollout\n  kubectl argo rollouts promote guestbook\n\n  # Fully promote a rollout to desired version, skipping analysis, pauses, and steps\n  kubectl argo rollouts promote guestbook --full',
    flags: [
      { name: 'full', type: 'bool', usage: 'Perform a full promotion, skipping analysis, pauses, and steps' },
      { name: 'skip-current-step', type: 'bool', usage: 'Skip current step' },
      { name: 'skip-all-steps', type: 'bool', usage: 'Skip remaining steps', hidden: true },
    ],
    args: one,
    run: async ({ args, opts }) => {
      const s = await session(opts as GlobalOpts);
      const name = args[0];
      if (opts.skipCurrentStep && opts.skipAllSteps) throw new CliError('Cannot use skip-current-step and skip-all-steps flags at the same time');
      if ((opts.skipCurrentStep || opts.skipAllSteps) && opts.full) throw new CliError('Cannot use skip flags with full flag');
      const ro = await getRollout(s, name);
      if ((opts.skipCurrentStep || opts.skipAllSteps) && !ro.spec?.strategy?.canary?.steps?.length) throw new CliError('Skip flag is only supported on canary strategy with steps');
      const p = promotePatches(ro, { full: !!opts.full, skipCurrentStep: !!opts.skipCurrentStep, skipAllSteps: !!opts.skipAllSteps });
      if (p.status) await patch(s, RO.rollouts, name, { status: p.status }, 'status');
      if (p.spec) await patch(s, RO.rollouts, name, { spec: p.spec });
      io.out(opts.full ? `rollout '${name}' fully promoted\n` : `rollout '${name}' promoted\n`);
      s.client.close();
    },
  });
}

function simplePatch(use: string, short: string, example: string, body: unknown, sub: string | undefined, done: string, r: Resource = RO.rollouts): Command {
  return new Command({
    use,
    short,
    example,
    args: one,
    run: async ({ args, opts }) => {
      const s = await session(opts as GlobalOpts);
      await patch(s, r, args[0], body, sub);
      io.out(done.replace('%s', args[0]) + '\n');
      s.client.close();
    },
  });
}

export function abortCommand(): Command {
  return simplePatch('abort ROLLOUT_NAME', 'Abort a rollout', '  # Abort a rollout\n  kubectl argo rollouts abort guestbook', abortPatch, 'status', "rollout '%s' aborted");
}

export function pauseCommand(): Command {
  return simplePatch('pause ROLLOUT_NAME', 'Pause a rollout', '  # Pause a rollout\n  kubectl argo rollouts pause guestbook', pausePatch, undefined, "rollout '%s' paused");
}

export function retryCommand(): Command {
  const c = new Command({ use: 'retry <rollout|experiment> RESOURCE_NAME', short: 'Retry a rollout or experiment', example: '  # Retry an aborted rollout\n  kubectl argo rollouts retry rollout guestbook\n\n  # Retry a failed experiment\n  kubectl argo rollouts retry experiment my-experiment' });
  const ro = simplePatch('rollout ROLLOUT_NAME', 'Retry an aborted rollout', '  # Retry an aborted rollout\n  kubectl argo rollouts retry rollout guestbook', retryRolloutPatch, 'status', "rollout '%s' retried");
  ro.spec.aliases = ['ro', 'rollouts'];
  const ex = simplePatch('experiment EXPERIMENT_NAME', 'Retry an experiment', '  # Retry an experiment\n  kubectl argo rollouts retry experiment my-experiment', retryExperimentPatch, undefined, "experiment '%s' retried", RO.experiments);
  ex.spec.aliases = ['exp', 'experiments'];
  return c.add(ro, ex);
}

export function terminateCommand(): Command {
  const c = new Command({ use: 'terminate <analysisrun|experiment> RESOURCE_NAME', short: 'Terminate an AnalysisRun or Experiment', example: '  # Terminate an analysisRun\n  kubectl argo rollouts terminate analysisrun guestbook-877894d5b-4-success-rate.1\n\n  # Terminate a failed experiment\n  kubectl argo rollouts terminate experiment my-experiment' });
  const ar = simplePatch('analysisrun ANALYSISRUN_NAME', 'Terminate an AnalysisRun', '  # Terminate an AnalysisRun\n  kubectl argo rollouts terminate analysisrun guestbook-877894d5b-4-success-rate.1', terminateAnalysisRunPatch, undefined, "analysisrun '%s' terminated", RO.analysisruns);
  ar.spec.aliases = ['ar', 'analysisruns'];
  const ex = simplePatch('experiment EXPERIMENT_NAME', 'Terminate an experiment', '  # Terminate an experiment\n  kubectl argo rollouts terminate experiment my-experiment', terminateExperimentPatch, undefined, "experiment '%s' terminated", RO.experiments);
  ex.spec.aliases = ['exp', 'experiments'];
  return c.add(ar, ex);
}

export function restartCommand(): Command {
  return new Command({
    use: 'restart ROLLOUT',
    short: 'Restart the pods of a rollout',
    example: '  # Restart the pods of a rollout in now\n  kubectl argo rollouts restart ROLLOUT_NAME\n\n  # Restart the pods of a rollout in ten seconds\n  kubectl argo rollouts restart ROLLOUT_NAME --in 10s',
    flags: [{ name: 'in', short: 'i', type: 'duration', default: '0s', usage: 'Amount of time before a restart. (e.g. 30s, 5m, 1h)' }],
    args: one,
    run: async ({ args, opts }) => {
      const s = await session(opts as GlobalOpts);
      const inMs = typeof opts.in === 'number' ? opts.in : 0;
      await patch(s, RO.rollouts, args[0], restartPatch(new Date(Date.now() + inMs)));
      io.out(`rollout '${args[0]}' restarts in ${formatDuration(inMs)}\n`);
      s.client.close();
    },
  });
}

export function setCommand(): Command {
  const set = new Command({ use: 'set <command>', short: 'Update various values on resources', example: '  # Set rollout image\n  kubectl argo rollouts set image my-rollout demo=argoproj/rollouts-demo:yellow' });
  set.add(
    new Command({
      use: 'image ROLLOUT_NAME CONTAINER=IMAGE',
      short: 'Update the image of a rollout',
      example: '  # Set rollout image\n  kubectl argo rollouts set image my-rollout www=image:v2',
      args: { min: 2, max: 2 },
      run: async ({ args, opts }) => {
        const [name, spec] = args;
        const eq = spec.indexOf('=');
        if (eq <= 0 || eq === spec.length - 1) throw new CliError(`invalid format for CONTAINER=IMAGE: "${spec}"`);
        const s = await session(opts as GlobalOpts);
        const ro = await getRollout(s, name);
        let updated: Obj;
        try {
          updated = setImage(ro, spec.slice(0, eq), spec.slice(eq + 1));
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        try {
          await s.client.update(RO.rollouts, updated as any);
        } catch (e) {
          throw new CliError(apiMessage(e));
        }
        io.out(`rollout "${name}" image updated\n`);
        s.client.close();
      },
    }),
  );
  return set;
}

export function undoCommand(): Command {
  return new Command({
    use: 'undo ROLLOUT_NAME',
    short: 'Undo a rollout',
    long: 'Rollback to the previous rollout.',
    example: '  # Undo a rollout\n  kubectl argo rollouts undo guestbook\n\n  # Undo a rollout to revision 3\n  kubectl argo rollouts undo guestbook --to-revision=3',
    flags: [{ name: 'to-revision', type: 'int64', default: 0, usage: 'The revision to rollback to. Default to 0 (last revision).' }],
    args: one,
    run: async ({ args, opts }) => {
      const s = await session(opts as GlobalOpts);
      const ro = await getRollout(s, args[0]);
      if (ro.spec?.workloadRef) throw new CliError(`rollout ${args[0]} uses workloadRef: undo the referenced ${ro.spec.workloadRef.kind} instead`);
      let rss: Obj[];
      try {
        rss = (await s.client.list(R.replicasets, s.namespace)).items as unknown as Obj[];
      } catch (e) {
        throw new CliError(apiMessage(e));
      }
      let template: unknown;
      try {
        ({ template } = undoTemplate(ro, rss, Number(opts.toRevision ?? 0)));
      } catch (e) {
        throw new CliError((e as Error).message);
      }
      try {
        await s.client.patch(RO.rollouts, s.namespace, args[0], [{ op: 'replace', path: '/spec/template', value: template }], 'json');
      } catch (e) {
        throw new CliError(apiMessage(e));
      }
      io.out(`rollout '${args[0]}' undo\n`);
      s.client.close();
    },
  });
}

async function readManifests(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`open ${file}: no such file or directory`);
  }
  const YAML = await import('yaml');
  try {
    return YAML.parseAllDocuments(text)
      .map((d) => {
        if (d.errors.length) throw new Error(d.errors[0].message);
        return d.toJS();
      })
      .filter((d) => d && typeof d === 'object');
  } catch (e) {
    throw new CliError(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

export function createCommand(): Command {
  return new Command({
    use: 'create',
    short: 'Create a Rollout, Experiment, AnalysisTemplate, ClusterAnalysisTemplate, or AnalysisRun resource',
    long: 'This command creates a new Rollout, Experiment, AnalysisTemplate, ClusterAnalysisTemplate, or AnalysisRun resource from a file.',
    example: '  # Create an experiment and watch it\n  kubectl argo rollouts create -f my-experiment.yaml -w',
    flags: [
      { name: 'filename', short: 'f', type: 'stringArray', usage: 'Files to use to create the resource' },
      { name: 'watch', short: 'w', type: 'bool', usage: 'Watch live updates to the resource after creating' },
      { name: 'no-color', type: 'bool', usage: 'Do not colorize output' },
    ],
    args: { max: 0 },
    run: async ({ opts, cmd }) => {
      const files: string[] = opts.filename ?? [];
      if (!files.length) {
        io.out(cmd.help());
        return 1;
      }
      const s = await session(opts as GlobalOpts);
      const kinds: Record<string, Resource> = { Rollout: RO.rollouts, Experiment: RO.experiments, AnalysisTemplate: RO.analysistemplates, ClusterAnalysisTemplate: RO.clusteranalysistemplates, AnalysisRun: RO.analysisruns };
      for (const f of files) {
        for (const doc of (await readManifests(f)) as Obj[]) {
          const r = kinds[doc.kind ?? ''];
          if (!r || doc.apiVersion !== 'argoproj.io/v1alpha1') throw new CliError(`creating ${doc.kind} is not supported`);
          const ns = r.namespaced ? doc.metadata?.namespace || s.namespace : undefined;
          try {
            const created = (await s.client.create(r, ns, doc as any, {})) as unknown as Obj;
            io.out(`${r.kind.toLowerCase()}.argoproj.io/${created.metadata.name} created\n`);
          } catch (e) {
            throw new CliError(apiMessage(e));
          }
        }
      }
      s.client.close();
    },
  });
}

export function lintCommand(): Command {
  return new Command({
    use: 'lint',
    short: 'Lint and validate a Rollout',
    long: 'This command lints and validates a new Rollout resource from a file.',
    example: '  # Lint a rollout\n  kubectl argo rollouts lint -f my-rollout.yaml',
    flags: [{ name: 'filename', short: 'f', type: 'string', usage: 'File to lint' }],
    args: { max: 0 },
    run: async ({ opts, cmd }) => {
      if (!opts.filename) {
        io.out(cmd.help());
        return 1;
      }
      const docs = await readManifests(opts.filename);
      const errs = lintDocuments(docs as Obj[]);
      if (errs.length) throw new CliError(errs.join('\n'));
    },
  });
}
