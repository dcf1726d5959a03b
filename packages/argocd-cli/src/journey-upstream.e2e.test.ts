/**
 * The seed's Argo CD journey verbatim on one `flotilla up`, with upstream's install.yaml applied
 * unchanged (../shared/upstream/install-manifests/argo-cd/install.yaml; skipped when absent).
 */
import { join } from 'node:path';
import { defineJourney, ROOT } from './journey-suite.js';

// A client-side `kubectl apply` of upstream's manifest fails on Kubernetes too: the ApplicationSet CRD is
// larger than the last-applied-configuration annotation allows (upstream documents --server-side for
// it); everything else is applied and the journey goes on.
defineJourney(join(ROOT, '../shared/upstream/install-manifests/argo-cd/install.yaml'), "upstream's install.yaml", {
  knownApplyFailure: /The CustomResourceDefinition "applicationsets\.argoproj\.io" is invalid: metadata\.annotations: Too long: may not be more than 262144 bytes/,
});
