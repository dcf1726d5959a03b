/** `argo version`, `argo auth token`, `argo server` (argo-server's main), `argo archive list|get|delete` (argo-server only). */
import { arch, platform } from 'node:process';
import { Command } from '@flotilla/cli-kit/command';
import { io } from '@flotilla/cli-kit/io';
import { TabWriter } from '@flotilla/cli-kit/tabwriter';
import { completionCommand } from '@flotilla/cli-kit/completion';
import { backend } from '../backend.js';
import { shortDuration } from '../humanize.js';
import { printObject, stdoutIsTTY } from '../output.js';
import { printWorkflow, workflowStatus } from '../print.js';
import { CliError, serverMode } from '../session.js';
import { ARGO_VERSION as VERSION } from '@flotilla/workflows-controller/version';

/** The Argo Workflows release whose CLI this one follows, with Flotilla's build suffix (argo-server's too). */
export { ARGO_VERSION as VERSION } from '@flotilla/workflows-controller/version';

export function clientVersion(): Record<string, string> {
  return {
    version: VERSION,
    buildDate: '2026-12-05T00:00:00Z',
    gitCommit: 'flotilla',
    gitTag: VERSION,
    gitTreeState: 'clean',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: `${platform}/${arch === 'x64' ? 'amd64' : arch}`,
  };
}

function printVersion(name: string, v: Record<string, string>, short: boolean): string {
  if (short) return `${name}: ${v.version}\n`;
  const cap = (k: string) => k[0].toUpperCase() + k.slice(1);
  let out = `${name}: ${v.version}\n`;
  for (const k of ['buildDate', 'gitCommit', 'gitTreeState', 'gitTag', 'goVersion', 'compiler', 'platform']) if (v[k]) out += `  ${cap(k)}: ${v[k]}\n`;
  return out;
}

function versionCommand(): Command {
  return new Command({
    use: 'version',
    short: 'print version information',
    flags: [{ name: 'short', type: 'bool', usage: 'print just the version number' }],
    run: async ({ opts }) => {
      io.out(printVersion('argo', clientVersion(), opts.short));
      if (serverMode(opts)) {
        const b = await backend(opts);
        const v = await b.raw!('GET', '/api/v1/version');
        io.out(printVersion('argo-server', v, opts.short));
      }
    },
  });
}

function authCommand(): Command {
  return new Command({ use: 'auth', short: 'manage authentication settings', run: ({ cmd }) => void io.out(cmd.help()) }).add(
    new Command({
      use: 'token',
      short: 'Print the auth token',
      run: async ({ opts }) => {
        // as upstream: ARGO_TOKEN (e.g. the `Bearer v2:…` an SSO login gave) wins in every mode, printed as set
        const env = process.env.ARGO_TOKEN?.trim();
        if (env) return void io.out(`${env}\n`);
        const b = await backend(opts);
        const t = await b.token();
        if (!t) throw new CliError('no token: the kubeconfig has no bearer token and ARGO_TOKEN is not set');
        io.out(`Bearer ${t}\n`);
      },
    }),
  );
}

/** `argo server …`: argo-server's own command line (flags parsed there). */
function serverCommand(): Command {
  return new Command({
    use: 'server',
    short: 'start the Argo Server',
    run: async () => 0,
  });
}

/** Runs `argo server ARGS` by handing the words after `server` to argo-server's main. */
export async function runServer(args: string[]): Promise<number> {
  const mod = (await import('@flotilla/argo-server/main')) as { main: (argv: string[]) => Promise<number> };
  return mod.main(args);
}

function archiveCommand(): Command {
  const need = async (opts: Record<string, any>) => {
    const b = await backend(opts);
    if (!b.raw) throw new CliError('the workflow archive is only available through argo-server: set ARGO_SERVER');
    return b;
  };
  return new Command({ use: 'archive', short: 'manage the workflow archive', run: ({ cmd }) => void io.out(cmd.help()) }).add(
    new Command({
      use: 'list',
      short: 'list workflows in the archive',
      flags: [
        { name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' },
        { name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to filter on' },
        { name: 'chunk-size', type: 'int', usage: 'Return large lists in chunks rather than all at once. Pass 0 to disable.' },
      ],
      run: async ({ opts }) => {
        const b = await need(opts);
        const q = new URLSearchParams();
        q.set('namespace', b.namespace);
        if (opts.selector) q.set('listOptions.labelSelector', opts.selector);
        if (opts.chunkSize) q.set('listOptions.limit', String(opts.chunkSize));
        const r = await b.raw!('GET', `/api/v1/archived-workflows?${q}`);
        const items: any[] = r.items ?? [];
        if (opts.output === 'json' || opts.output === 'yaml') return void printObject(items, opts.output);
        const t = new TabWriter({ padding: 3 });
        t.row('NAMESPACE', 'NAME', 'STATUS', 'AGE', 'DURATION', 'PRIORITY', 'MESSAGE', 'UID');
        const now = Date.now();
        for (const w of items) t.row(w.metadata.namespace, w.metadata.name, workflowStatus(w), shortDuration(w.metadata.creationTimestamp, undefined, now), shortDuration(w.status?.startedAt, w.status?.finishedAt, now), w.spec?.priority ?? 0, w.status?.message ?? '', w.metadata.uid);
        io.out(t.flush());
      },
    }),
    new Command({
      use: 'get UID',
      short: 'get a workflow in the archive',
      flags: [{ name: 'output', short: 'o', type: 'string', usage: 'Output format. One of: json|yaml|wide', default: 'wide' }],
      args: { min: 1, max: 1 },
      run: async ({ args, opts }) => {
        const b = await need(opts);
        const w = await b.raw!('GET', `/api/v1/archived-workflows/${encodeURIComponent(args[0])}`);
        if (opts.output === 'json' || opts.output === 'yaml') printObject(w, opts.output);
        else io.out(printWorkflow(w, { now: Date.now(), color: stdoutIsTTY(), output: opts.output }));
      },
    }),
    new Command({
      use: 'delete UID...',
      short: 'delete a workflow in the archive',
      args: { min: 1 },
      run: async ({ args, opts }) => {
        const b = await need(opts);
        for (const uid of args) {
          await b.raw!('DELETE', `/api/v1/archived-workflows/${encodeURIComponent(uid)}`);
          io.out(`Archived workflow '${uid}' deleted\n`);
        }
      },
    }),
    new Command({
      use: 'list-label-keys',
      short: 'list workflows label keys in the archive',
      run: async ({ opts }) => {
        const b = await need(opts);
        const r = await b.raw!('GET', `/api/v1/archived-workflows-label-keys?namespace=${encodeURIComponent(b.namespace)}`);
        for (const k of r.items ?? []) io.out(`${k}\n`);
      },
    }),
    new Command({
      use: 'list-label-values',
      short: 'get workflow label values in the archive',
      flags: [{ name: 'selector', short: 'l', type: 'string', usage: 'Selector (label query) to query on, allows 1 value (e.g. -l key1)' }],
      run: async ({ opts }) => {
        const b = await need(opts);
        if (!opts.selector) throw new CliError('a label key is required: -l KEY');
        const r = await b.raw!('GET', `/api/v1/archived-workflows-label-values?namespace=${encodeURIComponent(b.namespace)}&listOptions.labelSelector=${encodeURIComponent(opts.selector)}`);
        for (const v of r.items ?? []) io.out(`${v}\n`);
      },
    }),
    ...(['resubmit', 'retry'] as const).map(
      (a) =>
        new Command({
          use: `${a} UID...`,
          short: `${a} zero or more workflows from the archive`,
          args: { min: 1 },
          run: async ({ args, opts }) => {
            const b = await need(opts);
            for (const uid of args) {
              const w = await b.raw!('PUT', `/api/v1/archived-workflows/${encodeURIComponent(uid)}/${a}`, { uid, namespace: b.namespace });
              io.out(printWorkflow(w, { now: Date.now(), color: stdoutIsTTY() }));
            }
          },
        }),
    ),
  );
}

/** `argo cp WORKFLOW DIR`: the workflow's output artifacts downloaded through argo-server's artifact API. */
/** The file `argo cp` writes an artifact to: the last element of its key in the repository (`…/main.log`,
 * `…/hello_world.tgz`), else its name (raw artifacts). */
export function artifactFileName(a: any): string {
  const loc = a?.s3?.key ?? a?.gcs?.key ?? a?.oss?.key ?? a?.azure?.blob ?? a?.hdfs?.path ?? a?.artifactory?.url ?? a?.http?.url ?? a?.git?.repo ?? a?.key;
  const base = typeof loc === 'string' ? loc.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() : undefined;
  return base || a?.name;
}

function cpCommand(): Command {
  return new Command({
    use: 'cp my-wf output-directory ...',
    short: 'copy artifacts from workflow',
    example: `# Copy a workflow's artifacts to a local output directory:

  argo cp my-wf output-directory

# Copy artifacts from a specific node in a workflow to a local output directory:

  argo cp my-wf output-directory --node-id=my-wf-node-id-123
`,
    flags: [
      { name: 'artifact-name', type: 'string', usage: 'name of output artifact in workflow' },
      { name: 'node-id', type: 'string', usage: 'id of node in workflow' },
      { name: 'path', type: 'string', usage: 'use variables {workflowName}, {nodeId}, {templateName}, {artifactName}, and {namespace} to create a customized path to store the artifacts; example: {workflowName}/{templateName}/{artifactName}', default: '{namespace}/{workflowName}/{nodeId}/outputs/{artifactName}' },
      { name: 'template-name', type: 'string', usage: 'name of template in workflow' },
    ],
    args: { min: 2, max: 2 },
    run: async ({ args, opts }) => {
      const b = await backend(opts);
      if (b.mode !== 'server') throw new CliError('argo cp downloads through argo-server: set ARGO_SERVER');
      const { resolveName } = await import('../backend.js');
      const { join } = await import('node:path');
      const name = await resolveName(b, b.namespace, args[0]);
      const wf = await b.get('workflows', b.namespace, name);
      const rest = b as unknown as { download(path: string, dest: string): Promise<number> };
      let n = 0;
      for (const node of Object.values<any>(wf.status?.nodes ?? {})) {
        if (opts.nodeId && node.id !== opts.nodeId) continue;
        if (opts.templateName && node.templateName !== opts.templateName) continue;
        for (const a of node.outputs?.artifacts ?? []) {
          if (opts.artifactName && a.name !== opts.artifactName) continue;
          const vars: Record<string, string> = { namespace: b.namespace, workflowName: name, nodeId: node.id, templateName: node.templateName ?? '', artifactName: a.name };
          // --path names the directory; the file is named after the artifact's key (upstream's TestWorkflowCopyArtifact:
          // `--path /{templateName}/{artifactName}/` → bye/bye_world/bye_world.tgz)
          const rel = String(opts.path).replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
          const file = artifactFileName(a);
          const dest = join(args[1], rel, file);
          const enc = encodeURIComponent;
          await rest.download(`/artifact-files/${enc(b.namespace)}/workflows/${enc(name)}/${enc(node.id)}/outputs/${enc(a.name)}`, dest);
          io.out(`Created "${file}" at ${dest}\n`);
          n++;
        }
      }
      if (!n) throw new CliError(`no output artifacts found in workflow ${name}`);
    },
  });
}

export function miscCommands(): Command[] {
  return [versionCommand(), authCommand(), serverCommand(), archiveCommand(), cpCommand(), completionCommand('argo', { error: (m) => new CliError(m) })];
}
