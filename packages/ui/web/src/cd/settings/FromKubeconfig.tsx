/**
 * The Add cluster form's "From kubeconfig": a pasted kubeconfig's contexts to choose from; the chosen
 * one fills the form (server, name, token, CA) and carries the rest of its credentials (client
 * certificate, basic auth) — `src/lib/kubeconfig.ts`, which names what cannot be used from here.
 */
import { useState } from 'react';
import { clusterFromKubeconfig, kubeconfigContexts, type KubeconfigCluster } from '../../../../src/lib/kubeconfig.js';
import { loadYaml } from '../Yaml';

export function FromKubeconfig({ onPick }: { onPick: (c: KubeconfigCluster | undefined) => void }) {
  const [text, setText] = useState('');
  const [doc, setDoc] = useState<unknown>();
  const [contexts, setContexts] = useState<string[]>([]);
  const [context, setContext] = useState('');
  const [error, setError] = useState('');
  const [picked, setPicked] = useState('');
  const pick = (d: unknown, name: string) => {
    setContext(name);
    const r = clusterFromKubeconfig(d, name);
    setError(r.error ?? '');
    setPicked(r.value ? `Context ${name}: ${r.value.server}, ${r.value.config.bearerToken ? 'bearer token' : r.value.config.tlsClientConfig.certData ? 'client certificate' : r.value.config.username ? 'username and password' : 'no credentials'}${r.value.config.tlsClientConfig.caData ? ', CA data' : ''}.` : '');
    onPick(r.value);
  };
  const read = async () => {
    setError('');
    setPicked('');
    setContexts([]);
    onPick(undefined);
    let d: unknown;
    try {
      d = (await loadYaml()).parse(text);
    } catch (e) {
      return setError(`Kubeconfig: does not parse as YAML: ${(e as Error).message}`);
    }
    const r = kubeconfigContexts(d);
    if (r.error !== undefined) return setError(r.error);
    setDoc(d);
    setContexts(r.value);
    pick(d, r.value[0]);
  };
  return (
    <fieldset style={{ border: '1px solid var(--border)', borderRadius: 4 }}>
      <legend>From kubeconfig (optional)</legend>
      <label><span>Kubeconfig (YAML)</span><textarea rows={6} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} style={{ fontFamily: 'ui-monospace, monospace' }} placeholder="kubectl config view --raw --minify --flatten" /></label>
      <div style={{ display: 'flex', gap: 8, alignItems: 'end', marginTop: 6 }}>
        <button type="button" onClick={read} disabled={!text.trim()}>Read contexts</button>
        {contexts.length > 0 && <label><span>Context</span><select value={context} onChange={(e) => pick(doc, e.target.value)}>{contexts.map((c) => <option key={c}>{c}</option>)}</select></label>}
      </div>
      {picked && <div className="muted" role="status">{picked}</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
    </fieldset>
  );
}
