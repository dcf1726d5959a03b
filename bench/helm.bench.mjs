#!/usr/bin/env node
// Helm renderer benchmark (issue 4 targets):
//   * argocd-example-apps/helm-guestbook rendered warm in < 20 ms
//   * a generated chart of 200 templates x 50 lines rendered in < 300 ms (cold: parse caches cleared)
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearParseCache } from '../packages/gotemplate/dist/index.js';
import { renderChart, helmTemplateOutput, clearEngineCache } from '../packages/helm/dist/index.js';

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// 1. helm-guestbook, warm
const upstream = fileURLToPath(new URL('../../shared/upstream/argocd-example-apps/helm-guestbook', import.meta.url));
const guestbook = existsSync(upstream) ? upstream : fileURLToPath(new URL('../packages/helm/src/testdata/charts/kitchen', import.meta.url));
const name = existsSync(upstream) ? 'helm-guestbook' : 'kitchen fixture (upstream absent)';
for (let i = 0; i < 5; i++) helmTemplateOutput(await renderChart({ chartDir: guestbook }));
const warm = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  helmTemplateOutput(await renderChart({ chartDir: guestbook }));
  warm.push(performance.now() - t);
}
console.log(`helm: ${name} render (load + values + templates + sort + output), warm: median ${median(warm).toFixed(2)} ms, max ${Math.max(...warm).toFixed(2)} ms (target < 20 ms)`);

// 2. generated chart: 200 templates x 50 lines
const dir = mkdtempSync(join(tmpdir(), 'helm-bench-'));
try {
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: gen\nversion: 1.0.0\nappVersion: "2.0"\n');
  writeFileSync(join(dir, 'values.yaml'), 'replicaCount: 3\nimage:\n  repository: nginx\n  tag: ""\nresources:\n  limits:\n    cpu: 100m\n    memory: 128Mi\nlabels:\n  team: a\n');
  writeFileSync(
    join(dir, 'templates', '_helpers.tpl'),
    `{{- define "gen.name" -}}{{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "gen.labels" -}}
app.kubernetes.io/name: {{ include "gen.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}`,
  );
  for (let i = 0; i < 200; i++) {
    const lines = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', `  name: {{ include "gen.name" . }}-${i}`, '  labels:', '    {{- include "gen.labels" . | nindent 4 }}', '    {{- toYaml .Values.labels | nindent 4 }}', 'spec:', '  replicas: {{ .Values.replicaCount }}', '  template:', '    spec:', '      containers:'];
    let c = 0;
    while (lines.length < 50) {
      lines.push(`        - name: c${c++}`, '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"', '          resources:', '            {{- toYaml .Values.resources | nindent 12 }}', '          env: [{name: N, value: {{ quote .Release.Namespace }}}]');
    }
    writeFileSync(join(dir, 'templates', `t${String(i).padStart(3, '0')}.yaml`), lines.slice(0, 50).join('\n') + '\n');
  }
  const runs = [];
  let docs = 0;
  for (let r = 0; r < 7; r++) {
    clearParseCache();
    clearEngineCache();
    const t = performance.now();
    const res = await renderChart({ chartDir: dir, releaseName: 'bench' });
    helmTemplateOutput(res);
    runs.push(performance.now() - t);
    docs = res.manifests.length;
  }
  console.log(`helm: generated chart, 200 templates x 50 lines (${docs} documents), parse caches cleared each run: first (cold process) ${runs[0].toFixed(1)} ms, median ${median(runs).toFixed(1)} ms (target < 300 ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
