/** The broker's HTML pages (login choice, password form, approval, errors). Pure: strings in, HTML out. */

export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0}
main{max-width:26rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:6px;box-shadow:0 1px 4px #0002}
h1{font-size:1.3rem;margin-top:0}
a.connector,button{display:block;width:100%;box-sizing:border-box;margin:.5rem 0;padding:.6rem;border:1px solid #c6cbd1;border-radius:4px;background:#fafbfc;text-align:center;text-decoration:none;color:#24292e;font-size:1rem;cursor:pointer}
input{display:block;width:100%;box-sizing:border-box;margin:.3rem 0 .8rem;padding:.5rem;font-size:1rem}
.error{color:#b00020;background:#fde8ec;padding:.6rem;border-radius:4px}
.broken{color:#666}
</style></head><body><main>
${body}
</main></body></html>
`;
}

export interface ConnectorChoice {
  id: string;
  name: string;
  href: string;
  /** the connector could not be set up: shown, not offered */
  error?: string;
}

export function loginChoicePage(choices: ConnectorChoice[]): string {
  const items = choices
    .map((c) => (c.error ? `<p class="broken" data-connector="${esc(c.id)}">${esc(c.name)}: unavailable — <span class="error">${esc(c.error)}</span></p>` : `<a class="connector" data-connector="${esc(c.id)}" href="${esc(c.href)}">Log in with ${esc(c.name)}</a>`))
    .join('\n');
  return page('Log in', `<h1>Log in to Argo CD</h1>\n${choices.length ? items : '<p class="error">No login method is configured.</p>'}`);
}

export function passwordPage(o: { action: string; connectorName: string; prompt: string; username?: string; invalid?: boolean; error?: string; back?: string }): string {
  return page(
    `Log in with ${o.connectorName}`,
    `<h1>Log in with ${esc(o.connectorName)}</h1>
${o.invalid ? '<p class="error" id="login-error">Invalid username and password.</p>' : ''}${o.error ? `<p class="error" id="login-error">${esc(o.error)}</p>` : ''}
<form method="post" action="${esc(o.action)}">
<label for="login">${esc(o.prompt)}</label><input id="login" name="login" autocomplete="username" value="${esc(o.username ?? '')}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="submit-login">Login</button>
</form>${o.back ? `<p><a href="${esc(o.back)}">Choose another login method</a></p>` : ''}`,
  );
}

export function approvalPage(o: { action: string; clientName: string; scopes: string[] }): string {
  return page(
    'Grant access',
    `<h1>Grant access</h1><p>${esc(o.clientName)} would like to:</p><ul>${o.scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
<form method="post" action="${esc(o.action)}"><input type="hidden" name="approval" value="approve"><button type="submit">Grant Access</button></form>
<form method="post" action="${esc(o.action)}"><input type="hidden" name="approval" value="rejected"><button type="submit">Cancel</button></form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p class="error">${esc(message)}</p>`);
}

/** an auto-submitting form (SAML's HTTP-POST binding) */
export function postFormPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('');
  return page('Redirecting', `<form method="post" action="${esc(action)}" id="f">${inputs}<noscript><button type="submit">Continue</button></noscript></form><script>document.getElementById('f').submit()</script>`);
}
