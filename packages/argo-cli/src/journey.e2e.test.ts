/**
 * The seed's Argo Workflows journey verbatim on ONE `flotilla up` (see journey-suite.ts): first with
 * Flotilla's manifests/argo-workflows/install.yaml, then — after `kubectl delete namespace argo` — with
 * upstream's quick-start-minimal.yaml applied unchanged. Either block is skipped, with the reason printed,
 * when its manifest is absent. After the journey on Flotilla's manifest, the other commands are checked on
 * the same install (cli-checks-suite.ts).
 */
import { after, before, describe } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startUp, stopUp } from '@flotilla/kube-runtime/testkit';
import { defineJourney, timings, type Ctx } from './journey-suite.js';
import { defineCliChecks } from './cli-checks-suite.js';

const ctx: Ctx = { dir: '', home: '' };

describe('argo workflows journeys (one flotilla up)', { timeout: 900_000 }, () => {
  before(async () => {
    ctx.dir = mkdtempSync(join(tmpdir(), 'argo-journey-'));
    ctx.home = join(ctx.dir, 'home');
    mkdirSync(ctx.home);
    ctx.up = await startUp(join(ctx.dir, 'data'), 300_000);
  });
  after(async () => {
    if (ctx.up) await stopUp(ctx.up, 'SIGTERM');
    rmSync(ctx.dir, { recursive: true, force: true });
    for (const [k, ms] of Object.entries(timings)) process.stdout.write(`# ${k}: ${Math.round(ms)} ms\n`);
  });

  defineJourney(ctx, 'manifests/argo-workflows/install.yaml', "Flotilla's manifests/argo-workflows/install.yaml", { more: defineCliChecks });
  defineJourney(ctx, '../shared/upstream/install-manifests/argo-workflows/quick-start-minimal.yaml', "upstream's quick-start-minimal.yaml", { cleanFirst: true });
});
