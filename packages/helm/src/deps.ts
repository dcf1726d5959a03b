// Dependency processing (the documented Chart.yaml `dependencies` semantics):
//
// * A dependency entry is satisfied by a subchart in charts/ with the same name whose version
//   matches the entry's version range. With `alias`, the subchart is used under the alias name
//   (the same chart may be aliased several times). Subcharts in charts/ that no entry lists are
//   always enabled.
// * `tags`: the subchart is disabled when one of its tags is false in the top-level `tags` values
//   and none is true. `condition`: a comma-separated list of values paths (relative to the
//   parent's values); the first that holds a boolean decides, overriding tags.
// * `import-values`: a string `x` imports the subchart's `exports.x` map into the parent's
//   values root; `{child: a.b, parent: c.d}` copies the subchart's value at a.b to the parent's
//   c.d. Precedence: user values > parent chart values > imported values > subchart values.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { isMap, semverCompare } from '@flotilla/gotemplate';
import type { Chart, Dependency } from './chart.js';
import { loadChart } from './chart.js';
import { HelmError } from './errors.js';
import { coalesceTables, coalesceValues, copyValue, mergeMaps, pathValue, setPath, type Values } from './values.js';

/** The dependency entry a subchart was matched to. */
const SPEC = new WeakMap<Chart, Dependency>();

export function dependencySpec(c: Chart): Dependency | undefined {
  return SPEC.get(c);
}

export function versionMatches(range: string | undefined, version: string): boolean {
  if (!range || range.trim() === '' || range.trim() === '*') return true;
  try {
    return semverCompare(range, version);
  } catch {
    return false;
  }
}

function cloneChart(c: Chart, parent: Chart | undefined): Chart {
  const copy: Chart = { ...c, metadata: { ...c.metadata }, parent, dependencies: [] };
  copy.dependencies = c.dependencies.map((d) => cloneChart(d, copy));
  return copy;
}

export interface FetchDependency {
  (dep: Dependency, parent: Chart): Promise<Chart | undefined>;
}

/**
 * Loads dependencies that are missing from charts/ when they can be found locally
 * (`file://` repositories) or through `fetch` (chart repositories).
 */
export async function materializeDependencies(chart: Chart, fetch?: FetchDependency): Promise<void> {
  for (const dep of chart.metadata.dependencies ?? []) {
    if (chart.dependencies.some((c) => c.metadata.name === dep.name)) continue;
    const repo = dep.repository ?? '';
    let loaded: Chart | undefined;
    if (repo.startsWith('file://')) {
      const base = existsSync(chart.source) && statSync(chart.source).isDirectory() ? chart.source : dirname(chart.source);
      const p = repo.slice('file://'.length);
      const abs = isAbsolute(p) ? p : resolve(base, p);
      if (existsSync(abs)) loaded = loadChart(abs);
    } else if (fetch && /^(https?|oci):\/\//.test(repo)) {
      loaded = await fetch(dep, chart);
    }
    if (loaded) {
      loaded.parent = chart;
      chart.dependencies.push(loaded);
    }
  }
  for (const d of chart.dependencies) await materializeDependencies(d, fetch);
}

/** Names of dependencies listed in Chart.yaml that are not in charts/. */
export function missingDependencies(chart: Chart): string[] {
  const missing: string[] = [];
  for (const dep of chart.metadata.dependencies ?? []) {
    if (!chart.dependencies.some((c) => c.metadata.name === dep.name)) missing.push(dep.name);
  }
  return missing;
}

export function checkDependencies(chart: Chart): void {
  const missing = missingDependencies(chart);
  if (missing.length)
    throw new HelmError(
      `An error occurred while checking for chart dependencies. You may need to run \`helm dependency build\` to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: ${missing.join(', ')}`,
    );
}

/** Applies Chart.yaml dependency entries (matching, aliases) to the whole tree. */
export function resolveDependencyTree(chart: Chart): void {
  const loaded = chart.dependencies;
  const deps = chart.metadata.dependencies ?? [];
  const result: Chart[] = [];
  for (const c of loaded) {
    if (!deps.some((d) => d.name === c.metadata.name && versionMatches(d.version, c.metadata.version))) result.push(c);
  }
  for (const d of deps) {
    const c = loaded.find((x) => x.metadata.name === d.name && versionMatches(d.version, x.metadata.version));
    if (!c) continue;
    const used = cloneChart(c, chart);
    if (d.alias) {
      used.name = d.alias;
      used.metadata.name = d.alias;
    }
    SPEC.set(used, d);
    result.push(used);
  }
  chart.dependencies = result;
  for (const c of result) resolveDependencyTree(c);
}

/** Disables subcharts by their tags and conditions, evaluated against the coalesced values. */
export function processEnabled(root: Chart, userValues: Values): void {
  const cvals = coalesceValues(root, copyValue(userValues));
  const tags = isMap(cvals['tags']) ? (cvals['tags'] as Values) : {};
  const walk = (chart: Chart, path: string) => {
    chart.dependencies = chart.dependencies.filter((sub) => {
      const spec = SPEC.get(sub);
      if (!spec) return true;
      let enabled = true;
      if (spec.tags?.length) {
        let hasTrue = false;
        let hasFalse = false;
        for (const t of spec.tags) {
          const v = tags[t];
          if (v === true) hasTrue = true;
          else if (v === false) hasFalse = true;
        }
        if (!hasTrue && hasFalse) enabled = false;
      }
      if (spec.condition) {
        for (const c of spec.condition.split(',')) {
          const p = c.trim();
          if (!p) continue;
          const v = pathValue(cvals, path + p);
          if (typeof v === 'boolean') {
            enabled = v;
            break;
          }
        }
      }
      return enabled;
    });
    for (const sub of chart.dependencies) walk(sub, `${path}${sub.name}.`);
  };
  walk(root, '');
}

/** Applies import-values, children first. */
export function processImportValues(chart: Chart): void {
  for (const sub of chart.dependencies) processImportValues(sub);
  const withImports = chart.dependencies.filter((s) => SPEC.get(s)?.['import-values']?.length);
  if (!withImports.length) return;
  const cvals = coalesceValues(chart, {});
  let imported: Values = {};
  for (const sub of withImports) {
    for (const iv of SPEC.get(sub)!['import-values']!) {
      const child = typeof iv === 'string' ? `exports.${iv}` : iv.child;
      const parent = typeof iv === 'string' ? '' : iv.parent;
      if (!child) continue;
      const v = pathValue(cvals, `${sub.name}.${child}`);
      if (v === undefined) continue;
      if (parent === '' || parent === '.') {
        if (isMap(v)) imported = mergeMaps(imported, copyValue(v));
      } else {
        const existing = pathValue(imported, parent);
        setPath(imported, parent, isMap(v) && isMap(existing) ? mergeMaps(existing, copyValue(v)) : copyValue(v));
      }
    }
  }
  chart.values = coalesceTables(copyValue(chart.values), imported);
}
