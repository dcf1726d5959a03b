/** The argoproj.io resources of Argo Rollouts. */
import type { Resource } from '@flotilla/kube-runtime';

const r = (plural: string, kind: string, namespaced = true): Resource => ({ group: 'argoproj.io', version: 'v1alpha1', plural, kind, namespaced });
export const ROLLOUTS = r('rollouts', 'Rollout');
export const ANALYSIS_RUNS = r('analysisruns', 'AnalysisRun');
export const ANALYSIS_TEMPLATES = r('analysistemplates', 'AnalysisTemplate');
export const CLUSTER_ANALYSIS_TEMPLATES = r('clusteranalysistemplates', 'ClusterAnalysisTemplate', false);
export const EXPERIMENTS = r('experiments', 'Experiment');
export const INGRESSES: Resource = { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true };
