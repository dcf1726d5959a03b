import { createHash } from 'node:crypto';

/**
 * The client secret of the broker's static client `argo-cd`, derived from `server.secretkey` in
 * argocd-secret — argocd-server (which uses the client) and the broker (which registers it) both
 * compute it, so it is never stored or sent anywhere else.
 */
export function dexClientSecret(serverSecretKey: string): string {
  return createHash('sha256').update(serverSecretKey).digest('base64url').slice(0, 40);
}
