// @flotilla/helm: a Helm-compatible chart renderer (what `helm template` does).
import { HelmError } from './errors.js';
import { parseInto, SetParseError, type SetKind } from './strvals.js';

export { HelmError } from './errors.js';
export { renderChart, helmTemplateOutput, makeCapabilities, parseKubeVersion, DEFAULT_API_VERSIONS, DEFAULT_KUBE_VERSION, type RenderChartOptions, type RenderedManifest, type RenderResult } from './render.js';
export { helmTemplateCommand, HELM_TEMPLATE_USAGE, showOnly, type CommandIO } from './cli.js';
export { fetchChartFromRepo, selectVersion } from './repo.js';
export { loadChart, chartFullPath, type Chart, type ChartMetadata, type Dependency, type ChartFile } from './chart.js';
export { marshalYaml, parseYaml, parseYamlMap, compareKeys } from './yaml.js';
export { splitManifests, sortManifests, INSTALL_ORDER } from './sort.js';
export { mergeMaps, coalesceValues } from './values.js';
export { IgnoreRules } from './ignore.js';
export { encodeToml } from './toml.js';
export { newHelmTemplateSet, clearEngineCache } from './engine.js';

/**
 * Applies one Helm `--set`-style expression to `target` (mutated).
 * kind: 'auto' (--set), 'string' (--set-string), 'json' (--set-json), 'file' (--set-file: values
 * are paths whose content is read). Throws HelmError("failed parsing --set data: …") on bad syntax.
 */
export function parseSetValues(target: Record<string, unknown>, expr: string, kind: SetKind = 'auto'): void {
  try {
    parseInto(target, expr, kind);
  } catch (e) {
    if (e instanceof SetParseError) {
      const flag = kind === 'auto' ? '--set' : `--set-${kind}`;
      throw new HelmError(`failed parsing ${flag} data: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
