/**
 * ClusterWorkflowTemplates (argo-server's `/api/v1/cluster-workflow-templates`): the list
 * (`workflows/cluster-templates`) and a template's page (`workflows/cluster-templates/<name>`):
 * entrypoint, parameters, its templates with their kind and image, labels, the YAML; SUBMIT into the
 * namespace chosen above (the parameters form of WorkflowTemplates).
 */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { Link } from '../router';
import { SubmitDialog } from './Lists';
import { YamlView, useYaml } from '../cd/Yaml';
import { templateKind, templateParameters } from '../../../src/lib/wfgraph.js';

export function ClusterTemplates({ ns }: { ns: string }) {
  const [items, setItems] = useState<any[]>();
  const [error, setError] = useState('');
  const [submit, setSubmit] = useState<any>();
  useEffect(() => {
    api('GET', 'api/v1/cluster-workflow-templates').then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, []);
  return (
    <>
      {error && <div className="banner error" role="alert">{error}</div>}
      {items && items.length === 0 && <div className="empty">No ClusterWorkflowTemplates.</div>}
      {!!items?.length && (
        <table className="grid" aria-label="Cluster workflow templates">
          <thead><tr><th>Name</th><th>Entrypoint</th><th>Parameters</th><th>Templates</th><th>Created</th><th /></tr></thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.metadata.uid ?? t.metadata.name}>
                <td><Link to={`workflows/cluster-templates/${encodeURIComponent(t.metadata.name)}`}>{t.metadata.name}</Link></td>
                <td>{t.spec?.entrypoint}</td>
                <td>{templateParameters(t).map((p) => `${p.name}=${p.value}`).join(', ')}</td>
                <td>{(t.spec?.templates ?? []).length}</td>
                <td>{t.metadata.creationTimestamp}</td>
                <td><button onClick={() => setSubmit(t)} aria-label={`Submit ${t.metadata.name}`}>Submit</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {submit && <SubmitDialog ns={ns} kind="ClusterWorkflowTemplate" template={submit} onClose={() => setSubmit(undefined)} />}
    </>
  );
}

export function ClusterTemplateDetails({ name, ns }: { name: string; ns: string }) {
  const [t, setT] = useState<any>();
  const [error, setError] = useState('');
  const [submit, setSubmit] = useState(false);
  const [view, setView] = useState<'summary' | 'yaml'>('summary');
  useEffect(() => {
    setError('');
    api('GET', `api/v1/cluster-workflow-templates/${encodeURIComponent(name)}`).then(setT, (e) => setError(e.message));
  }, [name]);
  const yaml = useYaml(view === 'yaml' ? t : undefined);
  const params = t ? templateParameters(t) : [];
  const labels = Object.entries((t?.metadata?.labels ?? {}) as Record<string, string>);
  return (
    <>
      <div className="toolbar">
        <Link to="workflows/cluster-templates">Cluster templates</Link><span aria-hidden="true">/</span>
        <h1>{name}</h1>
        <span className="muted">ClusterWorkflowTemplate</span>
        <span className="grow" />
        {t && <button className="primary" onClick={() => setSubmit(true)}>Submit to {ns}</button>}
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      {t && (
        <>
          <nav className="tabs" aria-label="Template views">
            <button className="tab" aria-pressed={view === 'summary'} onClick={() => setView('summary')}>Summary</button>
            <button className="tab" aria-pressed={view === 'yaml'} onClick={() => setView('yaml')}>YAML</button>
          </nav>
          {view === 'yaml' ? <YamlView text={yaml} label="Template YAML" /> : (
            <>
              <dl className="kv summary" aria-label="Template summary">
                <dt>Entrypoint</dt><dd>{t.spec?.entrypoint ?? '-'}</dd>
                <dt>Service account</dt><dd>{t.spec?.serviceAccountName ?? '-'}</dd>
                <dt>Created</dt><dd>{t.metadata?.creationTimestamp}</dd>
                <dt>Labels</dt><dd>{labels.length ? labels.map(([k, v]) => `${k}=${v}`).join(', ') : '-'}</dd>
              </dl>
              <h2>Parameters</h2>
              {params.length === 0 ? <p className="muted">No parameters.</p> : (
                <table className="grid" aria-label="Parameters">
                  <thead><tr><th>Name</th><th>Value</th><th>Choices</th><th>Description</th></tr></thead>
                  <tbody>{params.map((p) => <tr key={p.name}><td>{p.name}</td><td>{p.value}</td><td>{p.enum?.join(', ') ?? ''}</td><td>{p.description ?? ''}</td></tr>)}</tbody>
                </table>
              )}
              <h2>Templates</h2>
              <table className="grid" aria-label="Templates">
                <thead><tr><th>Name</th><th>Kind</th><th>Image</th></tr></thead>
                <tbody>
                  {(t.spec?.templates ?? []).map((x: any) => {
                    const k = templateKind(x);
                    return <tr key={x.name}><td>{x.name}{x.name === t.spec?.entrypoint ? ' (entrypoint)' : ''}</td><td>{k.kind}</td><td>{k.image}</td></tr>;
                  })}
                </tbody>
              </table>
            </>
          )}
        </>
      )}
      {submit && t && <SubmitDialog ns={ns} kind="ClusterWorkflowTemplate" template={t} onClose={() => setSubmit(false)} />}
    </>
  );
}
