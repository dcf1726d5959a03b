/**
 * The seed's Argo CD journey verbatim on one `flotilla up`, with manifests/argo-cd/install.yaml
 * (see journey-suite.ts for the steps and the checks after them).
 */
import { join } from 'node:path';
import { defineJourney, ROOT } from './journey-suite.js';

defineJourney(join(ROOT, 'manifests/argo-cd/install.yaml'), 'manifests/argo-cd/install.yaml');
