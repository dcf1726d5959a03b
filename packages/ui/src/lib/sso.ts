/** Single sign-on on the login pages: what the servers say about it and what the buttons say. */

/** The SSO part of argocd-server's settings (GET /api/v1/settings, answered without a session). */
export interface AuthSettings {
  userLoginsDisabled?: boolean;
  oidcConfig?: { name?: string; issuer?: string };
  dexConfig?: { connectors?: { name: string; type: string }[] };
}

/** Argo CD's SSO button text: the oidc.config's name, else the one Dex connector's name, else SSO; none without SSO. */
export function ssoLabel(s: AuthSettings | undefined): string | undefined {
  if (s?.oidcConfig) return `Log in via ${s.oidcConfig.name || 'SSO'}`;
  const c = s?.dexConfig?.connectors ?? [];
  if (c.length === 0) return undefined;
  return `Log in via ${c.length === 1 ? c[0].name : 'SSO'}`;
}

/**
 * argo-server's auth modes, from the message of its 401 to a request without credentials ("… (--auth-mode
 * client,sso) …"); undefined when the message does not name them (the login page then offers both ways in).
 */
export function authModesFromError(message: string): string[] | undefined {
  const m = /--auth-mode ([\w,]+)/.exec(message);
  return m ? m[1].split(',').filter(Boolean) : undefined;
}
