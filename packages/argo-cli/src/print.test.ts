/** The argo CLI's text output for fixed workflows (get summary + node tree, list table) and its time formats. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { podName as controllerPodName, type Workflow } from '@flotilla/workflows-controller';
import { podName } from './podname.js';
import { printWorkflow, printWorkflowList, sortWorkflows, workflowStatus } from './print.js';
import { goStamp, humanDuration, relative, resourcesDuration, timestamp } from './humanize.js';

process.env.TZ = 'UTC';
const T = (s: number) => `2026-12-05T10:00:${String(s).padStart(2, '0')}Z`;
const at = (s: number) => Date.parse(T(0)) + s * 1000;

/** upstream's steps example: hello1, then hello2a ‖ hello2b (one failed) */
const steps = {
  metadata: { name: 'steps-abcde', namespace: 'argo', creationTimestamp: T(0) },
  spec: { entrypoint: 'hello-hello-hello', arguments: { parameters: [{ name: 'message', value: 'hi' }] } },
  status: {
    phase: 'Failed',
    startedAt: T(0),
    finishedAt: T(30),
    progress: '2/3',
    message: 'child failed',
    resourcesDuration: { cpu: 1, memory: 12 },
    nodes: {
      'steps-abcde': { id: 'steps-abcde', name: 'steps-abcde', displayName: 'steps-abcde', type: 'Steps', templateName: 'hello-hello-hello', phase: 'Failed', startedAt: T(0), finishedAt: T(30), children: ['g0'], message: 'child failed' },
      g0: { id: 'g0', name: 'steps-abcde[0]', displayName: '[0]', type: 'StepGroup', boundaryID: 'steps-abcde', phase: 'Succeeded', startedAt: T(0), children: ['h1'] },
      h1: { id: 'h1', name: 'steps-abcde[0].hello1', displayName: 'hello1', type: 'Pod', templateName: 'whalesay', boundaryID: 'steps-abcde', phase: 'Succeeded', startedAt: T(1), finishedAt: T(6), children: ['g1'] },
      g1: { id: 'g1', name: 'steps-abcde[1]', displayName: '[1]', type: 'StepGroup', boundaryID: 'steps-abcde', phase: 'Failed', startedAt: T(7), children: ['h2a', 'h2b'] },
      h2a: { id: 'h2a', name: 'steps-abcde[1].hello2a', displayName: 'hello2a', type: 'Pod', templateName: 'whalesay', boundaryID: 'steps-abcde', phase: 'Succeeded', startedAt: T(7), finishedAt: T(12) },
      h2b: { id: 'h2b', name: 'steps-abcde[1].hello2b', displayName: 'hello2b', type: 'Pod', templateName: 'whalesay', boundaryID: 'steps-abcde', phase: 'Failed', startedAt: T(8), finishedAt: T(20), message: 'Error (exit code 1)' },
    },
  },
} as unknown as Workflow;

const n = (id: string, o: Record<string, unknown>) => ({ id, name: `dag-xyz12.${o.displayName}`, ...o });
/** a DAG with a retried task, a pending one and a suspend node */
const dag = {
  metadata: { name: 'dag-xyz12', namespace: 'default', creationTimestamp: T(0) },
  spec: { serviceAccountName: 'runner' },
  status: {
    phase: 'Running',
    startedAt: T(0),
    progress: '2/4',
    nodes: {
      'dag-xyz12': { id: 'dag-xyz12', name: 'dag-xyz12', displayName: 'dag-xyz12', type: 'DAG', templateName: 'diamond', phase: 'Running', startedAt: T(0), children: ['a'] },
      a: n('a', { displayName: 'A', type: 'Pod', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Succeeded', startedAt: T(1), finishedAt: T(4), children: ['b', 'c'] }),
      b: n('b', { displayName: 'B', type: 'Retry', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Running', startedAt: T(5), children: ['b0', 'b1'] }),
      b0: n('b0', { name: 'dag-xyz12.B(0)', displayName: 'B(0)', type: 'Pod', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Failed', startedAt: T(5), finishedAt: T(7), message: 'Error (exit code 1)' }),
      b1: n('b1', { name: 'dag-xyz12.B(1)', displayName: 'B(1)', type: 'Pod', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Running', startedAt: T(9) }),
      c: n('c', { displayName: 'C', type: 'Pod', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Succeeded', startedAt: T(6), finishedAt: T(8), children: ['d'] }),
      d: n('d', { displayName: 'D', type: 'Pod', templateName: 'echo', boundaryID: 'dag-xyz12', phase: 'Pending', startedAt: T(10) }),
      s: n('s', { displayName: 'approve', type: 'Suspend', templateName: 'approve', boundaryID: 'dag-xyz12', phase: 'Running', startedAt: T(11) }),
    },
  },
} as unknown as Workflow;

describe('argo get', () => {
  it('a steps workflow: the summary, then the tree with step groups (├─── one step, └─┬─ parallel steps)', () => {
    assert.equal(
      printWorkflow(steps, { now: at(120) }),
      `Name:                steps-abcde
Namespace:           argo
ServiceAccount:      unset (will run with the default ServiceAccount)
Status:              Failed
Message:             child failed
Created:             Sat Dec 05 10:00:00 +0000 (2 minutes ago)
Started:             Sat Dec 05 10:00:00 +0000 (2 minutes ago)
Finished:            Sat Dec 05 10:00:30 +0000 (1 minute ago)
Duration:            30 seconds
Progress:            2/3
ResourcesDuration:   1s*(1 cpu),12s*(100Mi memory)
Parameters:          
  message:           hi

STEP            TEMPLATE           PODNAME                          DURATION  MESSAGE
 ✖ steps-abcde  hello-hello-hello                                             child failed
 ├───✔ hello1   whalesay           steps-abcde-whalesay-687682365   5s        
 └─┬─✔ hello2a  whalesay           steps-abcde-whalesay-1142233854  5s        
   └─✖ hello2b  whalesay           steps-abcde-whalesay-1125456235  12s       Error (exit code 1)
`,
    );
  });

  it('a DAG workflow: every task under the DAG, retries nested, ◷ ● ǁ for pending, running, suspended', () => {
    assert.equal(
      printWorkflow(dag, { now: at(20) }),
      `Name:                dag-xyz12
Namespace:           default
ServiceAccount:      runner
Status:              Running (Suspended)
Created:             Sat Dec 05 10:00:00 +0000 (20 seconds ago)
Started:             Sat Dec 05 10:00:00 +0000 (20 seconds ago)
Duration:            20 seconds
Progress:            2/4

STEP          TEMPLATE  PODNAME                    DURATION  MESSAGE
 ● dag-xyz12  diamond                                        
 ├─✔ A        echo      dag-xyz12-echo-1418681303  3s        
 ├─● B        echo                                           
 │ ├─✖ B(0)   echo      dag-xyz12-echo-2639900049  2s        Error (exit code 1)
 │ └─● B(1)   echo      dag-xyz12-echo-3244041428  11s       
 ├─✔ C        echo      dag-xyz12-echo-1452236541  2s        
 ├─◷ D        echo      dag-xyz12-echo-1334793208  10s       
 └─ǁ approve  approve                              9s        
`,
    );
  });

  it('--status Failed -o wide: only failed nodes and the nodes above them, wide columns', () => {
    const out = printWorkflow(dag, { now: at(20), output: 'wide', status: ['Failed'] });
    assert.equal(
      out.split('\n\n')[1],
      `STEP          TEMPLATE  PODNAME                    DURATION  ARTIFACTS  MESSAGE              RESOURCESDURATION  NODENAME
 ● dag-xyz12  diamond                                                                                           
 └─● B        echo                                                                                              
   └─✖ B(0)   echo      dag-xyz12-echo-2639900049  2s                   Error (exit code 1)                     
`,
    );
  });

  it('-o short: the summary only; colours on a terminal', () => {
    assert.ok(!printWorkflow(steps, { now: at(120), output: 'short' }).includes('STEP'));
    assert.match(printWorkflow(steps, { now: at(120), color: true }), /\n \x1b\[31m✖\x1b\[0m steps-abcde {2}/);
    assert.match(printWorkflow(steps, { now: at(120), color: true }), /\n ├───\x1b\[32m✔\x1b\[0m hello1 {3}/);
  });

  it('the exit handler is drawn as a second tree', () => {
    const wf = structuredClone(steps);
    wf.status!.nodes!['exit'] = { id: 'exit', name: 'steps-abcde.onExit', displayName: 'steps-abcde.onExit', type: 'Pod', templateName: 'cleanup', phase: 'Succeeded', startedAt: T(21), finishedAt: T(25) };
    const out = printWorkflow(wf, { now: at(120) });
    assert.match(out, /\n {3}└─✖ hello2b +whalesay +steps-abcde-whalesay-1125456235 +12s +Error \(exit code 1\)\n +\n ✔ steps-abcde\.onExit {2}cleanup +steps-abcde-cleanup-\d+ +4s +\n$/);
    const lines = out.split('\n');
    const l2b = lines.find((l) => l.includes('hello2b'))!;
    const lx = lines.find((l) => l.includes('.onExit'))!;
    assert.equal(l2b.indexOf('whalesay'), lx.indexOf('cleanup'), 'one table: the columns line up across both trees');
  });
});

describe('argo list', () => {
  const running = { metadata: { name: 'hello-world-x1y2z', namespace: 'argo', creationTimestamp: T(50) }, spec: {}, status: { phase: 'Running', startedAt: T(51) } } as unknown as Workflow;
  it('NAME STATUS AGE DURATION PRIORITY MESSAGE, padded by three; running first, then newest first', () => {
    assert.equal(
      printWorkflowList(sortWorkflows([steps, running]), { now: at(120) }),
      `NAME                STATUS    AGE   DURATION   PRIORITY   MESSAGE
hello-world-x1y2z   Running   70s   69s        0          
steps-abcde         Failed    2m    30s        0          child failed
`,
    );
  });
  it('-o wide adds P/R/C and PARAMETERS; -A a NAMESPACE column; -o name; nothing found', () => {
    assert.equal(
      printWorkflowList([steps], { now: at(120), output: 'wide', allNamespaces: true }),
      `NAMESPACE   NAME          STATUS   AGE   DURATION   PRIORITY   MESSAGE        P/R/C   PARAMETERS
argo        steps-abcde   Failed   2m    30s        0          child failed   0/0/3   message=hi
`,
    );
    assert.equal(printWorkflowList([steps, running], { now: 0, output: 'name' }), 'steps-abcde\nhello-world-x1y2z\n');
    assert.equal(printWorkflowList([], { now: 0 }), 'No workflows found\n');
  });
  it('status words', () => {
    assert.equal(workflowStatus(dag), 'Running (Suspended)');
    assert.equal(workflowStatus({ metadata: { creationTimestamp: T(0) }, spec: {} } as Workflow), 'Pending');
    assert.equal(workflowStatus({ metadata: {}, spec: { shutdown: 'Stop' }, status: { phase: 'Running' } } as Workflow), 'Running (Stopping)');
  });
});

describe('times', () => {
  it('relative spans as upstream words them', () => {
    assert.equal(relative(0, 500, { past: 'ago', future: 'from now' }), '0 seconds');
    assert.equal(relative(0, 1500, { past: 'ago', future: 'from now' }), '1 second ago');
    assert.equal(relative(0, 59_000), '59 seconds');
    assert.equal(relative(0, 90_000), '1 minute');
    assert.equal(relative(0, 3 * 3600_000 + 5), '3 hours');
    assert.equal(relative(10_000, 0, { past: 'ago', future: 'from now' }), '10 seconds from now');
  });
  it("Kubernetes' short durations", () => {
    assert.deepEqual([5_000, 119_000, 150_000, 600_000, 3 * 3600_000 + 600_000, 30 * 3600_000, 50 * 3600_000, 400 * 86_400_000].map(humanDuration), ['5s', '119s', '2m30s', '10m', '3h10m', '30h', '2d2h', '400d']);
  });
  it('stamps and resources durations', () => {
    assert.equal(goStamp(new Date('2026-01-02T03:04:05Z')), 'Fri Jan 02 03:04:05 +0000');
    assert.equal(timestamp('2026-01-02T03:04:05Z', Date.parse('2026-01-02T03:04:15Z')), 'Fri Jan 02 03:04:05 +0000 (10 seconds ago)');
    assert.equal(resourcesDuration({ memory: 75, cpu: 3700 }), '1h1m40s*(1 cpu),1m15s*(100Mi memory)');
  });
});

describe('pod names', () => {
  it("the CLI's pod names are the controller's", () => {
    const long = 'a-very-long-workflow-name-that-goes-on-and-on-xyz12';
    for (const [wf, node, tmpl] of [
      ['w', 'w', 'main'],
      ['steps-abcde', 'steps-abcde[1].hello2a', 'whalesay'],
      [long, `${long}.task(0:x)`, 'a-template-with-a-long-name'],
      ['uni', 'uni.tâche-é', 'tmpl'],
      ['w', 'w.x', undefined],
      ['w-', 'w-.x', 'y.'],
    ] as [string, string, string | undefined][]) {
      assert.equal(podName(wf, node, tmpl), controllerPodName(wf, node, tmpl), `${wf} ${node} ${tmpl}`);
    }
  });
});
