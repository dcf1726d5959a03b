/**
 * Steps of the argocd-server browser test in `ui-sections.test.ts` (argocd-server and the repo server as
 * processes on an in-process API server, no controller), kept here so that file stays short: editing a
 * live manifest from the resource panel; the Settings pages for certificates, GnuPG keys, credential
 * templates and a project's page.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { axeCheck } from './browser-testkit.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

type K = (args: string[]) => Promise<string>;

/**
 * The Deployment `web` (3 replicas) in its open panel: EDIT the live manifest — a YAML error and the API
 * server's refusal (replicas -1) shown in place with the text kept, then 2 replicas saved, shown, and
 * read back with kubectl.
 */
/**
 * The whole text of a CodeMirror editor: its DOM holds only the lines near the view (the box scrolls at 60vh),
 * so `innerText` of a long manifest can miss lines — a save of that text would drop them.
 */
async function editorText(box: Locator): Promise<string> {
  const t = await box.evaluate((el) => {
    const x = el as unknown as { cmTile?: { root?: { view?: unknown } }; cmView?: { rootView?: { view?: unknown }; view?: unknown } };
    const view = (x.cmTile?.root?.view ?? x.cmView?.rootView?.view ?? x.cmView?.view) as { state?: { doc?: { toString(): string } } } | undefined;
    return view?.state?.doc?.toString();
  });
  assert.equal(typeof t, 'string', "the editor's document is readable through its CodeMirror view");
  return t!;
}

export async function editLiveManifest(panel: Locator, k: K): Promise<void> {
  await panel.getByRole('tab', { name: 'Live manifest' }).click();
  await panel.getByLabel('Live manifest').getByText('replicas: 3').first().waitFor();
  await panel.getByRole('button', { name: 'Edit', exact: true }).click();
  await panel.locator('.yaml-editor .cm-content').waitFor();
  const box = panel.getByRole('textbox', { name: 'Edit live manifest' });
  const text = await editorText(box);
  assert.match(text, /^kind: Deployment$/m, 'the live manifest in the editor');
  // a slow machine, as CI's can be (chromium's CPU throttled 8×): a Save pressed right after typing must
  // send what was typed, not the text of the render before (the failed save's -1 here, refused again)
  const cdp = await panel.page().context().newCDPSession(panel.page());
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 8 });
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: [3'));
  await panel.getByRole('button', { name: 'Save' }).click();
  assert.match((await panel.getByRole('alert').textContent()) ?? '', /^The manifest does not parse as YAML: /);
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: -1'));
  await panel.getByRole('button', { name: 'Save' }).click();
  const refusal = (await panel.getByRole('alert').filter({ hasText: 'Not saved' }).textContent()) ?? '';
  assert.match(refusal, /^Not saved: .*spec\.replicas/, 'the API server refuses a negative replicas count, its message shown');
  assert.match(await editorText(box), /replicas: -1/, 'the edited text is kept');
  assert.equal(await k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}']), '3');
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: 2').replace(/^metadata:$/m, 'metadata:\n  labels:\n    edited-in: ui'));
  await panel.getByRole('button', { name: 'Save' }).click();
  // saved, or refused in place: a refusal fails here with the panel's own message
  await panel.getByRole('status').getByText('Saved.').or(panel.getByRole('alert')).first().waitFor();
  assert.equal(await panel.getByRole('alert').count(), 0, `the save was refused: ${await panel.getByRole('alert').first().textContent().catch(() => '')}`);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await cdp.detach();
  const view = panel.getByLabel('Live manifest');
  await view.getByText('replicas: 2').first().waitFor();
  await view.getByText('edited-in: ui').waitFor();
  assert.equal(await k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.edited-in}']), '2 ui');
}

/**
 * Settings → Certificates (a TLS certificate and SSH known hosts), GnuPG keys, credential templates and a
 * project's page (its scoped repository and cluster, its events after an edit from the page), each
 * refused input named in place first, each write read back with kubectl; a cluster added from a kubeconfig.
 */
export async function settingsExtras(page: Page, cd: string, k: K, dir: string): Promise<void> {
  const t0 = Date.now();
  const accept = (d: { accept: () => Promise<void> }) => void d.accept();
  page.on('dialog', accept);
  const cmData = async (name: string) => JSON.parse((await k(['get', 'configmap', name, '-n', 'argocd', '--ignore-not-found', '-o', 'json'])) || '{}').data ?? {};
  try {
    // a TLS certificate: no server name first, then a real self-signed one
    await page.goto(`${cd}/settings/certs`);
    await page.getByRole('button', { name: 'Add TLS certificate' }).click();
    const tls = page.getByRole('form', { name: 'Add TLS certificate' });
    const { generate } = await import('selfsigned');
    const { cert } = await generate([{ name: 'commonName', value: 'git.example.test' }], { keySize: 2048, algorithm: 'sha256' });
    await tls.getByLabel('TLS certificate (PEM format)').fill(cert);
    await tls.getByRole('button', { name: 'Add' }).click();
    assert.match((await tls.getByRole('alert').textContent()) ?? '', /^Repository server name: required/);
    await tls.getByLabel('Repository server name').fill('git.example.test');
    await tls.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('table', { name: 'Certificates' }).getByRole('row', { name: /git\.example\.test https .*CN=git\.example\.test/ }).waitFor();
    assert.match((await cmData('argocd-tls-certs-cm'))['git.example.test'] ?? '', /^-----BEGIN CERTIFICATE-----/);
    // SSH known hosts: a key of another type than the line says is named with its line
    const ed = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    await page.getByRole('button', { name: 'Add SSH known hosts' }).click();
    const ssh = page.getByRole('form', { name: 'Add SSH known hosts' });
    await ssh.getByLabel('SSH known hosts data').fill(`# from ssh-keyscan\ngit.example.test ssh-rsa ${ed}`);
    await ssh.getByRole('button', { name: 'Add' }).click();
    assert.equal(await ssh.getByRole('alert').textContent(), 'SSH known hosts, line 2: the key is a ssh-ed25519 key, not ssh-rsa');
    await ssh.getByLabel('SSH known hosts data').fill(`git.example.test,[git.example.test]:2222 ssh-ed25519 ${ed}`);
    await ssh.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row', { name: /\[git\.example\.test\]:2222 ssh ssh-ed25519 SHA256:/ }).waitFor();
    assert.equal((await cmData('argocd-ssh-known-hosts-cm')).ssh_known_hosts, `git.example.test ssh-ed25519 ${ed}\n[git.example.test]:2222 ssh-ed25519 ${ed}\n`);
    await axeCheck(page, 'the certificates page');
    await page.getByRole('button', { name: 'Remove TLS certificate of git.example.test' }).click();
    await page.getByRole('row', { name: /git\.example\.test https/ }).waitFor({ state: 'detached' });
    assert.deepEqual(Object.keys(await cmData('argocd-tls-certs-cm')), []);

    // a GnuPG key: its private half refused, the public one listed by key ID, then removed
    const openpgp = await import('openpgp');
    const gen = await openpgp.generateKey({ type: 'ecc', curve: 'ed25519Legacy', userIDs: [{ name: 'Release Bot', email: 'bot@example.test' }], format: 'armored' });
    const id = (await openpgp.readKey({ armoredKey: gen.publicKey })).getKeyID().toHex().toUpperCase();
    await page.getByRole('tab', { name: 'GnuPG keys' }).click();
    await page.getByText('No GnuPG public keys.').waitFor();
    await page.getByRole('button', { name: 'Add GnuPG key' }).click();
    const gpg = page.getByRole('form', { name: 'Add GnuPG key' });
    await gpg.getByLabel('GnuPG public key data (ASCII-armored)').fill(gen.privateKey);
    await gpg.getByRole('button', { name: 'Add' }).click();
    assert.match((await gpg.getByRole('alert').textContent()) ?? '', /this is a private key/);
    await gpg.getByLabel('GnuPG public key data (ASCII-armored)').fill(gen.publicKey);
    await gpg.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row', { name: new RegExp(`${id} ed25519 Release Bot <bot@example.test>`) }).waitFor();
    assert.deepEqual(Object.keys(await cmData('argocd-gpg-keys-cm')), [id]);
    await axeCheck(page, 'the GnuPG keys page');
    await page.getByRole('button', { name: `Remove GnuPG key ${id}` }).click();
    await page.getByText('No GnuPG public keys.').waitFor();
    assert.deepEqual(Object.keys(await cmData('argocd-gpg-keys-cm')), []);

    // a credential template over HTTPS: a password is required, then kept in a repo-creds Secret
    await page.getByRole('tab', { name: 'Repositories' }).click();
    await page.getByRole('button', { name: 'Add credentials (HTTPS)' }).click();
    const cred = page.getByRole('form', { name: 'Add credential template (HTTPS)' });
    await cred.getByLabel("URL (prefix of the repositories' URLs)").fill('https://git.example.test/org');
    await cred.getByLabel('Username').fill('bot');
    await cred.getByRole('button', { name: 'Add' }).click();
    assert.match((await cred.getByRole('alert').textContent()) ?? '', /^Username and password: both are required/);
    await cred.getByLabel('Password').fill('s3cret');
    await cred.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('table', { name: 'Credential templates' }).getByRole('row', { name: /https:\/\/git\.example\.test\/org username bot/ }).waitFor();
    const creds = JSON.parse(await k(['get', 'secrets', '-n', 'argocd', '-l', 'argocd.argoproj.io/secret-type=repo-creds', '-o', 'json'])).items;
    assert.deepEqual(creds.map((s: { data: Record<string, string> }) => ['url', 'username', 'password'].map((f) => Buffer.from(s.data[f], 'base64').toString())), [['https://git.example.test/org', 'bot', 's3cret']]);
    await page.getByRole('button', { name: 'Remove credential template https://git.example.test/org' }).click();
    await page.getByText('No credential templates.').waitFor();

    // a project's page: the repository and the cluster scoped to it, its events after an edit from the page
    const proj = { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'team-b', namespace: 'argocd' }, spec: { description: 'team B', sourceRepos: ['*'], destinations: [{ server: '*', namespace: 'team-b' }] } };
    const secret = (name: string, type: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'argocd', labels: { 'argocd.argoproj.io/secret-type': type } }, stringData: { ...data, project: 'team-b' } });
    const list = { apiVersion: 'v1', kind: 'List', items: [proj, secret('team-b-repo', 'repository', { type: 'git', url: 'https://git.example.test/team-b.git' }), secret('team-b-cluster', 'cluster', { name: 'team-b-edge', server: 'https://127.0.0.1:2', config: '{}' })] };
    writeFileSync(join(dir, 'team-b.json'), JSON.stringify(list));
    await k(['apply', '-f', join(dir, 'team-b.json')]);
    await page.getByRole('tab', { name: 'Projects' }).click();
    await page.getByRole('link', { name: 'Details of project team-b' }).click();
    await page.waitForURL(/\/settings\/projects\/team-b$/);
    await page.getByRole('table', { name: 'Scoped repositories' }).getByRole('row', { name: /https:\/\/git\.example\.test\/team-b\.git/ }).waitFor();
    await page.getByRole('table', { name: 'Scoped clusters' }).getByRole('row', { name: /team-b-edge https:\/\/127\.0\.0\.1:2/ }).waitFor();
    await page.getByText('No applications in this project.').waitFor();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit project' });
    await form.getByLabel('Description', { exact: true }).fill('team B, edited from its page');
    await form.getByRole('button', { name: 'Save' }).click();
    await form.waitFor({ state: 'detached' });
    await page.getByLabel('Project summary').getByText('team B, edited from its page').waitFor();
    await page.getByRole('table', { name: 'Project events' }).getByRole('row', { name: /ResourceUpdated .*updated project/ }).waitFor({ timeout: 15_000 });
    await axeCheck(page, "a project's page");
    await page.screenshot({ path: join(ROOT, 'docs/images/ui-settings-project-details.png') });
    await k(['delete', 'secret', '-n', 'argocd', 'team-b-repo', 'team-b-cluster']);
    await k(['delete', 'appprojects.argoproj.io', '-n', 'argocd', 'team-b']);
    // a cluster from a kubeconfig: this API server's own (flattened), its context chosen; the credentials
    // it carries work (argocd-server's connection test says Successful)
    const raw = await k(['config', 'view', '--raw', '--minify', '--flatten']);
    const { parse } = await import('yaml');
    const kc = parse(raw);
    const server = kc.clusters[0].cluster.server as string;
    await page.getByRole('tab', { name: 'Clusters' }).click();
    await page.getByRole('button', { name: '+ Add cluster' }).click();
    const add = page.getByRole('form', { name: 'Add cluster' });
    await add.getByLabel('Kubeconfig (YAML)').fill('apiVersion: v1\nkind: Config\nclusters: []\n');
    await add.getByRole('button', { name: 'Read contexts' }).click();
    assert.match((await add.getByRole('alert').textContent()) ?? '', /^Kubeconfig: no contexts/);
    await add.getByLabel('Kubeconfig (YAML)').fill(raw);
    await add.getByRole('button', { name: 'Read contexts' }).click();
    await add.getByRole('status').getByText(`Context ${kc['current-context']}: ${server}`).waitFor();
    assert.equal(await add.getByLabel('Server', { exact: true }).inputValue(), server, 'the form is filled from the context');
    await add.getByLabel('Name', { exact: true }).fill('from-kubeconfig');
    await add.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row', { name: /from-kubeconfig .*Successful/ }).waitFor({ timeout: 30_000 });
    const secrets = JSON.parse(await k(['get', 'secrets', '-n', 'argocd', '-l', 'argocd.argoproj.io/secret-type=cluster', '-o', 'json'])).items;
    const cfg = JSON.parse(Buffer.from(secrets[0].data.config, 'base64').toString());
    const user = kc.users[0].user;
    assert.equal(Buffer.from(secrets[0].data.server, 'base64').toString(), server);
    assert.deepEqual([cfg.bearerToken, cfg.tlsClientConfig?.certData, cfg.tlsClientConfig?.caData], [user.token, user['client-certificate-data'], kc.clusters[0].cluster['certificate-authority-data']], 'the context\'s credentials in the cluster Secret');
    await page.getByRole('button', { name: 'Remove cluster from-kubeconfig' }).click();
    await page.getByRole('row', { name: /from-kubeconfig/ }).waitFor({ state: 'detached' });
    console.log(`# settings: certificates, GnuPG keys, credential templates, a project's page, a cluster from a kubeconfig: ${Date.now() - t0} ms`);
  } finally {
    page.off('dialog', accept);
  }
}
