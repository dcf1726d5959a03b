/** Argo CD's resources as the kube-runtime client addresses them. */
import type { Resource } from '@flotilla/kube-runtime';

export const APPLICATIONS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'applications', kind: 'Application', namespaced: true };
export const APPPROJECTS: Resource = { group: 'argoproj.io', version: 'v1alpha1', plural: 'appprojects', kind: 'AppProject', namespaced: true };
