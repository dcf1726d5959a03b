#!/usr/bin/env node
// Copies the components' install manifests into the Helm chart (charts/flotilla/files/<component>/),
// which renders them from there: a chart cannot read ../manifests. Run after changing manifests/;
// packages/cli/src/chart.test.ts fails while the copies differ.
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHART_COMPONENTS = ['argo-cd', 'argo-workflows', 'argo-rollouts', 'argo-events'];
const root = fileURLToPath(new URL('..', import.meta.url));
for (const c of CHART_COMPONENTS) {
  mkdirSync(`${root}charts/flotilla/files/${c}`, { recursive: true });
  copyFileSync(`${root}manifests/${c}/install.yaml`, `${root}charts/flotilla/files/${c}/install.yaml`);
  console.log(`charts/flotilla/files/${c}/install.yaml ← manifests/${c}/install.yaml`);
}
