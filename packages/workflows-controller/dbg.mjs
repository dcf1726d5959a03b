import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { simulate } from './dist/index.js';
const wf = parse(readFileSync('/work/shared/upstream/argo-workflows-examples/' + process.argv[2], 'utf8'));
wf.metadata.name = 'x';
const r = simulate(wf, { run: (p) => ({ phase: 'Succeeded', outputs: { result: 'heads' } }) });
for (const n of Object.values(r.workflow.status.nodes)) console.log(n.name, n.type, n.phase, n.message ?? '', JSON.stringify(n.outputs ?? {}));
