/**
 * The listing test of upstream's examples (../shared/upstream/argo-events-examples, read at test
 * time; skipped with the reason when absent): every EventBus, EventSource and Sensor in them is
 * accepted by the rules the validating webhook and the controllers apply, or refused with the
 * reason listed here (upstream refuses them too). Other kinds (RBAC, a Pod, a ConfigMap, a
 * WorkflowTemplate) are applied as they are. The journey e2e applies them all to a cluster
 * (server-side dry run through the webhook).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateEventBus, validateEventSource, validateSensor } from './validate.js';

import { EXAMPLES, REFUSED, exampleFiles } from './examples.js';

const skip = existsSync(EXAMPLES) ? undefined : `no ${EXAMPLES}`;
if (skip) console.log(`# skipped: ${skip}`);

describe("upstream's argo-events examples: accepted, or refused with a reason", { skip }, () => {
  it('every EventBus, EventSource and Sensor', () => {
    const counts: Record<string, number> = {};
    const refused: string[] = [];
    for (const f of exampleFiles()) {
      const rel = relative(EXAMPLES, f);
      for (const doc of parseAllDocuments(readFileSync(f, 'utf8'))) {
        assert.deepEqual(doc.errors, [], `${rel} parses`);
        const o = doc.toJS();
        if (!o) continue;
        const v = o.kind === 'EventBus' ? validateEventBus(o) : o.kind === 'EventSource' ? validateEventSource(o) : o.kind === 'Sensor' ? validateSensor(o) : undefined;
        counts[o.kind] = (counts[o.kind] ?? 0) + 1;
        if (REFUSED[rel]) {
          assert.match(v ?? '(accepted)', REFUSED[rel], rel);
          refused.push(`${rel}: ${v}`);
        } else assert.equal(v, undefined, `${rel} (${o.kind} ${o.metadata?.name}) is accepted`);
      }
    }
    console.log(`examples: ${JSON.stringify(counts)}; refused with a reason: ${refused.length ? refused.join('; ') : 'none'}`);
    assert.ok(counts.Sensor > 50 && counts.EventSource > 25 && counts.EventBus >= 1, JSON.stringify(counts));
  });
});
