/**
 * Steps of the argocd-server browser test in `ui-sections.test.ts` (argocd-server and the repo server as
 * processes on an in-process API server, no controller), kept here so that file stays short: editing a
 * live manifest from the resource panel.
 */
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';

type K = (args: string[]) => Promise<string>;

/**
 * The Deployment `web` (3 replicas) in its open panel: EDIT the live manifest — a YAML error and the API
 * server's refusal (replicas -1) shown in place with the text kept, then 2 replicas saved, shown, and
 * read back with kubectl.
 */
export async function editLiveManifest(panel: Locator, k: K): Promise<void> {
  await panel.getByRole('tab', { name: 'Live manifest' }).click();
  await panel.getByLabel('Live manifest').getByText('replicas: 3').first().waitFor();
  await panel.getByRole('button', { name: 'Edit', exact: true }).click();
  await panel.locator('.yaml-editor .cm-content').waitFor();
  const box = panel.getByRole('textbox', { name: 'Edit live manifest' });
  const text = await box.innerText();
  assert.match(text, /^kind: Deployment$/m, 'the live manifest in the editor');
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: [3'));
  await panel.getByRole('button', { name: 'Save' }).click();
  assert.match((await panel.getByRole('alert').textContent()) ?? '', /^The manifest does not parse as YAML: /);
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: -1'));
  await panel.getByRole('button', { name: 'Save' }).click();
  const refusal = (await panel.getByRole('alert').filter({ hasText: 'Not saved' }).textContent()) ?? '';
  assert.match(refusal, /^Not saved: .*spec\.replicas/, 'the API server refuses a negative replicas count, its message shown');
  assert.match(await box.innerText(), /replicas: -1/, 'the edited text is kept');
  assert.equal(await k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas}']), '3');
  await box.fill(text.replace(/^ {2}replicas: 3$/m, '  replicas: 2').replace(/^metadata:$/m, 'metadata:\n  labels:\n    edited-in: ui'));
  await panel.getByRole('button', { name: 'Save' }).click();
  await panel.getByRole('status').getByText('Saved.').waitFor();
  const view = panel.getByLabel('Live manifest');
  await view.getByText('replicas: 2').first().waitFor();
  await view.getByText('edited-in: ui').waitFor();
  assert.equal(await k(['get', 'deployment', 'web', '-n', 'default', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.edited-in}']), '2 ui');
}
