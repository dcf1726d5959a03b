import type { ArgoSettings } from '@flotilla/argocd-engine/settings';
import type { HealthOptions, ResourceOverridesLike } from '@flotilla/argocd-engine/health';

/** Health options from the settings (the settings' override map is the health module's input; the types differ only nominally). */
export function healthOpts(s: ArgoSettings): HealthOptions {
  return { overrides: s.resourceOverrides as unknown as ResourceOverridesLike };
}
