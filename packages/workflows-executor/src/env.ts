/** The executor's environment (set by the controller on every container of a workflow pod), parsed. */
import { readFileSync } from 'node:fs';
import type { Template } from '@flotilla/workflows-controller';
import type { ArtifactRepository } from './artifacts/types.js';

export interface ExecutorEnv {
  podName: string;
  podUID: string;
  nodeId: string;
  workflowName: string;
  workflowUID: string;
  containerName: string;
  namespace: string;
  template: Template;
  includeScriptOutput: boolean;
  /** ms since the epoch, or undefined for none */
  deadline?: number;
  progressFile: string;
  artifactRepository?: ArtifactRepository;
}

const SA_NS = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function readNs(): string {
  try {
    return readFileSync(SA_NS, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Parses the environment; throws naming the variable that is malformed. */
export function parseEnv(env: NodeJS.ProcessEnv, nsFallback: () => string = readNs): ExecutorEnv {
  const json = <T>(name: string): T | undefined => {
    const v = env[name];
    if (!v) return undefined;
    try {
      return JSON.parse(v) as T;
    } catch (e) {
      throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
    }
  };
  let deadline: number | undefined;
  const d = env.ARGO_DEADLINE;
  if (d && !d.startsWith('0001-01-01')) {
    deadline = Date.parse(d);
    if (Number.isNaN(deadline)) throw new Error(`ARGO_DEADLINE is not an RFC 3339 time: ${d}`);
  }
  return {
    podName: env.ARGO_POD_NAME ?? env.HOSTNAME ?? '',
    podUID: env.ARGO_POD_UID ?? '',
    nodeId: env.ARGO_NODE_ID ?? '',
    workflowName: env.ARGO_WORKFLOW_NAME ?? '',
    workflowUID: env.ARGO_WORKFLOW_UID ?? '',
    containerName: env.ARGO_CONTAINER_NAME ?? 'main',
    namespace: env.ARGO_NAMESPACE || env.POD_NAMESPACE || nsFallback(),
    template: json<Template>('ARGO_TEMPLATE') ?? {},
    includeScriptOutput: env.ARGO_INCLUDE_SCRIPT_OUTPUT === 'true',
    deadline,
    progressFile: env.ARGO_PROGRESS_FILE || '/var/run/argo/progress',
    artifactRepository: json<ArtifactRepository>('ARGO_ARTIFACT_REPOSITORY'),
  };
}

/** The containers whose exit `wait` waits for: the containerSet's, else `main`. */
export function mainContainers(t: Template): string[] {
  const cs = t.containerSet?.containers;
  return cs?.length ? cs.map((c, i) => c.name ?? `main-${i}`) : ['main'];
}
