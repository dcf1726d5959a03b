/** Fixtures shared by the tests (not exported from the package index). */
import type { KubeObject, StructSchema } from '@flotilla/apimachinery';

export const CRON_PATTERN = '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$';

/** The CronTab CRD from the Kubernetes docs (validation + defaulting + printer columns examples combined). */
export function cronTabCrd(opts: { columns?: boolean; defaults?: boolean } = {}): KubeObject {
  const spec: StructSchema = {
    type: 'object',
    properties: {
      cronSpec: { type: 'string', pattern: CRON_PATTERN, ...(opts.defaults ? { default: '5 0 * * *' } : {}) },
      image: { type: 'string' },
      replicas: { type: 'integer', minimum: 1, maximum: 10, ...(opts.defaults ? { default: 1 } : {}) },
    },
  };
  const version: Record<string, unknown> = {
    name: 'v1',
    served: true,
    storage: true,
    schema: { openAPIV3Schema: { type: 'object', properties: { spec } } },
  };
  if (opts.columns)
    version.additionalPrinterColumns = [
      { name: 'Spec', type: 'string', description: 'The cron spec defining the interval a CronJob is run', jsonPath: '.spec.cronSpec' },
      { name: 'Image', type: 'string', jsonPath: '.spec.image', priority: 1 },
      { name: 'Replicas', type: 'integer', description: 'The number of jobs launched by the CronJob', jsonPath: '.spec.replicas' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ];
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      versions: [version],
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
    },
  };
}

/** A CRD wrapping the given openAPIV3Schema (name widgets.example.com). */
export function crdWithSchema(schema: unknown, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema }, ...extra }],
    },
  };
}
