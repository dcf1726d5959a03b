/**
 * The seam to `@flotilla/helm`, loaded lazily so this package builds and works (minus Helm
 * sources) whether or not the Helm renderer is installed and complete.
 */
import { RepoError } from './errors.js';

export interface HelmRenderOptions {
  chartDir: string;
  releaseName?: string;
  namespace?: string;
  valueFiles?: string[];
  values?: Record<string, unknown>;
  set?: string[];
  setString?: string[];
  setFile?: string[];
  kubeVersion?: string;
  apiVersions?: string[];
  includeCrds?: boolean;
  skipCrds?: boolean;
  skipSchemaValidation?: boolean;
  skipTests?: boolean;
  /** Download dependencies missing from charts/ (Argo CD runs `helm dependency build`). */
  fetchDependencies?: boolean;
  cacheDir?: string;
}

export interface HelmRenderResult {
  manifests: { source: string; content: string }[];
  notes?: string;
  chart: { name: string; version: string };
}

export interface HelmModule {
  renderChart(opts: HelmRenderOptions): Promise<HelmRenderResult>;
  fetchChartFromRepo?: (repoUrl: string, chart: string, versionRange: string, cacheDir: string) => Promise<string>;
}

let loading: Promise<HelmModule | string> | undefined;

/** Loads @flotilla/helm, or returns the reason it cannot be used. */
export function probeHelm(): Promise<HelmModule | string> {
  loading ??= (async () => {
    const spec = '@flotilla/helm';
    let mod: Record<string, unknown>;
    try {
      mod = (await import(spec)) as Record<string, unknown>;
    } catch (e) {
      return `cannot load @flotilla/helm (${(e as Error).message.split('\n')[0]})`;
    }
    if (typeof mod['renderChart'] !== 'function') return '@flotilla/helm does not export renderChart yet';
    return mod as unknown as HelmModule;
  })();
  return loading;
}

/** The Helm module, or a RepoError saying why Helm rendering is unavailable. */
export async function loadHelm(): Promise<HelmModule> {
  const m = await probeHelm();
  if (typeof m === 'string') throw new RepoError(`Helm rendering is not available: ${m}`, { code: 'ToolUnavailable' });
  return m;
}

/** Reason Helm cannot be used, or undefined when it can. */
export async function helmUnavailableReason(): Promise<string | undefined> {
  const m = await probeHelm();
  return typeof m === 'string' ? m : undefined;
}
