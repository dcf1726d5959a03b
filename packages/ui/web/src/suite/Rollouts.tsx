/**
 * Rollouts section (the `kubectl argo rollouts dashboard` API): the rollouts of a namespace live
 * (status, strategy, step, weights), and a rollout's page: the steps as a timeline with the current one
 * marked, revisions with their ReplicaSets, pods and images, analysis runs, and PROMOTE, PROMOTE-FULL,
 * ABORT, RETRY, RESTART and rollback to a revision.
 */
import { useEffect, useState } from 'react';
import { api, ApiError, stream } from '../api';
import { HealthStatus, PhaseStatus } from '../icons';

interface Info {
  objectMeta: { name: string; namespace?: string };
  status: string;
  message: string;
  strategy: string;
  step: string;
  setWeight: string;
  actualWeight: string;
  ready: number;
  desired: number;
  updated: number;
  available: number;
  containers: { name: string; image: string }[];
  replicaSets: { objectMeta: { name: string }; status: string; revision: number; stable: boolean; canary: boolean; active: boolean; preview: boolean; replicas: number; available: number; images: string[]; pods: { objectMeta: { name: string }; status: string; ready: string; restarts: number }[] }[];
  analysisRuns: { objectMeta: { name: string }; status: string; revision: number; successful: number; failed: number; inconclusive: number; error: number }[];
  steps: Record<string, unknown>[];
}

const statusAsHealth = (s: string) => (s === 'Healthy' ? 'Healthy' : s === 'Degraded' ? 'Degraded' : s === 'Paused' ? 'Suspended' : s === 'Progressing' ? 'Progressing' : s);

export default function Rollouts() {
  const [ns, setNs] = useState<string>();
  const [available, setAvailable] = useState<boolean>();
  const [items, setItems] = useState<Info[]>([]);
  const [selected, setSelected] = useState<string>();
  const [error, setError] = useState('');
  useEffect(() => {
    api('GET', 'api/v1/namespace').then((r) => {
      setAvailable(true);
      setNs(r.namespace ?? 'default');
    }, (e) => (e instanceof ApiError && e.status === 404 ? setAvailable(false) : setError(e.message)));
  }, []);
  useEffect(() => {
    if (!ns) return;
    // the list answers first unless the stream already has: its copies would be older than the stream's
    let streamed = false;
    api('GET', `api/v1/rollouts/${encodeURIComponent(ns)}/info`).then((r) => streamed || setItems(r.rollouts ?? []), (e) => setError(e.message));
    const byName = new Map<string, Info>();
    return stream(`api/v1/rollouts/${encodeURIComponent(ns)}/info/watch`, (r) => {
      const i: Info | undefined = r?.rolloutInfo;
      if (!i) return;
      streamed = true;
      if (r.type === 'DELETED') byName.delete(i.objectMeta.name);
      else byName.set(i.objectMeta.name, i);
      setItems([...byName.values()].sort((a, b) => a.objectMeta.name.localeCompare(b.objectMeta.name)));
    });
  }, [ns]);
  const current = items.find((i) => i.objectMeta.name === selected);
  return (
    <>
      <div className="toolbar">
        {current && <button onClick={() => setSelected(undefined)} aria-label="Back to rollouts">←</button>}
        <h1>{current ? current.objectMeta.name : 'Rollouts'}</h1>
        {ns !== undefined && !current && <label>Namespace <input type="text" defaultValue={ns} onBlur={(e) => setNs(e.target.value.trim() || ns)} /></label>}
      </div>
      {available === false && <div className="banner warn" role="status">The Rollouts API is not served here: run <code>kubectl argo rollouts dashboard</code> (port 3100), which serves this UI on the Rollouts section.</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {current ? <RolloutPage info={current} ns={ns!} /> : available && (
        items.length === 0 ? <div className="empty">No rollouts in {ns}.</div> : (
          <table className="grid" aria-label="Rollouts">
            <thead><tr><th>Name</th><th>Status</th><th>Strategy</th><th>Step</th><th>Weight (set / actual)</th><th>Ready</th><th>Images</th></tr></thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.objectMeta.name} className="clickable" onClick={() => setSelected(i.objectMeta.name)}>
                  <td><button className="linkish" onClick={() => setSelected(i.objectMeta.name)}>{i.objectMeta.name}</button></td>
                  <td><HealthStatus value={statusAsHealth(i.status)} text={i.status} /></td>
                  <td>{i.strategy}</td><td>{i.step}</td><td>{i.setWeight}{i.actualWeight ? ` / ${i.actualWeight}` : ''}</td>
                  <td>{i.ready}/{i.desired}</td><td>{i.containers.map((c) => c.image).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      )}
    </>
  );
}

function describeStep(s: Record<string, any>): string {
  if (s.setWeight !== undefined) return `Set weight ${s.setWeight}%`;
  if (s.pause) return s.pause.duration ? `Pause ${s.pause.duration}` : 'Pause (until promoted)';
  if (s.analysis) return `Analysis ${(s.analysis.templates ?? []).map((t: any) => t.templateName).join(', ')}`;
  if (s.experiment) return 'Experiment';
  if (s.setCanaryScale) return 'Set canary scale';
  if (s.setHeaderRoute) return 'Set header route';
  return Object.keys(s)[0] ?? 'step';
}

function RolloutPage({ info, ns }: { info: Info; ns: string }) {
  const [error, setError] = useState('');
  const base = `api/v1/rollouts/${encodeURIComponent(ns)}/${encodeURIComponent(info.objectMeta.name)}`;
  const act = async (what: string, body: unknown = {}) => {
    setError('');
    await api('PUT', `${base}/${what}`, body).catch((e) => setError(`${what}: ${e.message}`));
  };
  const at = /^(\d+)\/(\d+)$/.exec(info.step ?? '');
  const index = at ? Number(at[1]) : -1;
  const revisions = [...info.replicaSets].sort((a, b) => b.revision - a.revision);
  return (
    <>
      <div className="toolbar">
        <button className="primary" onClick={() => act('promote')}>Promote</button>
        <button onClick={() => act('promote', { full: true })}>Promote full</button>
        <button className="danger" onClick={() => act('abort')}>Abort</button>
        <button onClick={() => act('retry')}>Retry</button>
        <button onClick={() => act('restart')}>Restart</button>
      </div>
      {error && <div className="banner error" role="alert">{error}</div>}
      <div className="summary" role="region" aria-label="Rollout status">
        <section data-testid="rollout-status"><h2>Status</h2><div className="big"><HealthStatus value={statusAsHealth(info.status)} text={info.status} /></div><div className="muted">{info.message}</div></section>
        <section><h2>Strategy</h2><div className="big">{info.strategy}</div></section>
        <section data-testid="rollout-step"><h2>Step</h2><div className="big">{info.step || '—'}</div></section>
        <section><h2>Weight</h2><div className="big">{info.setWeight || '—'}{info.actualWeight ? ` / ${info.actualWeight}` : ''}</div><div className="muted">set / actual</div></section>
        <section><h2>Replicas</h2><div>{info.ready} ready, {info.updated} updated, {info.available} available of {info.desired}</div></section>
      </div>
      {info.steps.length > 0 && (
        <section aria-label="Steps" style={{ marginBottom: 16 }}>
          <h2 style={{ fontSize: 15 }}>Steps</h2>
          <ol style={{ display: 'flex', gap: 6, flexWrap: 'wrap', listStyle: 'none', padding: 0 }}>
            {info.steps.map((s, i) => {
              const state = i < index ? 'done' : i === index ? 'current' : 'next';
              return (
                <li key={i} aria-current={state === 'current' ? 'step' : undefined} className={`step ${state}`} style={{ padding: '6px 10px', borderRadius: 4, border: `1px solid ${state === 'current' ? 'var(--accent)' : 'var(--border)'}`, background: 'var(--panel)', fontWeight: state === 'current' ? 700 : 400 }}>
                  {state === 'done' ? '✓ ' : state === 'current' ? '▶ ' : ''}{i + 1}. {describeStep(s)}
                </li>
              );
            })}
          </ol>
        </section>
      )}
      <h2 style={{ fontSize: 15 }}>Revisions</h2>
      {revisions.length === 0 && <div className="empty">No ReplicaSets yet.</div>}
      {revisions.map((rs) => (
        <section key={rs.objectMeta.name} className="summary" aria-label={`Revision ${rs.revision}`} style={{ display: 'block' }}>
          <div className="toolbar" style={{ marginBottom: 6 }}>
            <strong>Revision {rs.revision}</strong>
            {rs.stable && <span className="status ok">stable</span>}{rs.canary && <span className="status info">canary</span>}{rs.active && <span className="status ok">active</span>}{rs.preview && <span className="status info">preview</span>}
            <span className="muted">{rs.images.join(', ')}</span>
            <div className="grow" />
            {!rs.stable && !rs.active && !rs.canary && <button onClick={() => act(`undo/${rs.revision}`)}>Rollback</button>}
          </div>
          <div className="muted">ReplicaSet {rs.objectMeta.name}: {rs.available}/{rs.replicas} available</div>
          <ul style={{ margin: '6px 0 0', paddingLeft: 18 }}>
            {rs.pods.map((p) => <li key={p.objectMeta.name}>{p.objectMeta.name} <PhaseStatus value={p.status} /> ready {p.ready}, {p.restarts} restarts</li>)}
          </ul>
        </section>
      ))}
      {info.analysisRuns.length > 0 && (
        <table className="grid" aria-label="Analysis runs">
          <thead><tr><th>Analysis run</th><th>Revision</th><th>Status</th><th>Successful</th><th>Failed</th><th>Inconclusive</th><th>Error</th></tr></thead>
          <tbody>{info.analysisRuns.map((a) => <tr key={a.objectMeta.name}><td>{a.objectMeta.name}</td><td>{a.revision}</td><td><PhaseStatus value={a.status} /></td><td>{a.successful}</td><td>{a.failed}</td><td>{a.inconclusive}</td><td>{a.error}</td></tr>)}</tbody>
        </table>
      )}
    </>
  );
}
