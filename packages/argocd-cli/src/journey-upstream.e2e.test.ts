/**
 * The seed's Argo CD journey verbatim on one `flotilla up`, with upstream's install.yaml applied
 * unchanged (../shared/upstream/install-manifests/argo-cd/install.yaml; skipped when absent).
 */
import { join } from 'node:path';
import { defineJourney, ROOT } from './journey-suite.js';

defineJourney(join(ROOT, '../shared/upstream/install-manifests/argo-cd/install.yaml'), "upstream's install.yaml");
