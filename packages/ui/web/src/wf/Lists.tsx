/** WorkflowTemplates (SUBMIT with a parameters form), CronWorkflows (schedule, last run, SUSPEND/RESUME, SUBMIT now) and the archive. */
import { useEffect, useState } from 'react';
import { api } from '../api';
import { navigate } from '../router';
import { Drawer } from '../cd/Drawer';
import { PhaseStatus } from '../icons';
import { duration, templateParameters } from '../../../src/lib/wfgraph.js';
import { nextRuns } from '../../../src/lib/cron.js';

function useList(path: string, deps: unknown[] = []): [any[] | undefined, string, () => void] {
  const [items, setItems] = useState<any[]>();
  const [error, setError] = useState('');
  const [n, setN] = useState(0);
  useEffect(() => {
    setError('');
    api('GET', path).then((r) => setItems(r.items ?? []), (e) => setError(e.message));
  }, [path, n, ...deps]);
  return [items, error, () => setN(n + 1)];
}

export function Templates({ ns }: { ns: string }) {
  const [items, error] = useList(`api/v1/workflow-templates/${encodeURIComponent(ns)}`);
  const [clusterItems] = useList('api/v1/cluster-workflow-templates');
  const [submit, setSubmit] = useState<{ kind: string; t: any }>();
  const rows = [...(items ?? []).map((t) => ({ kind: 'WorkflowTemplate', t })), ...(clusterItems ?? []).map((t) => ({ kind: 'ClusterWorkflowTemplate', t }))];
  return (
    <>
      {error && <div className="banner error" role="alert">{error}</div>}
      {items && rows.length === 0 && <div className="empty">No WorkflowTemplates in {ns}.</div>}
      {rows.length > 0 && (
        <table className="grid" aria-label="Workflow templates">
          <thead><tr><th>Name</th><th>Kind</th><th>Entrypoint</th><th>Parameters</th><th>Created</th><th /></tr></thead>
          <tbody>
            {rows.map(({ kind, t }) => (
              <tr key={t.metadata.uid ?? t.metadata.name}>
                <td>{t.metadata.name}</td><td>{kind}</td><td>{t.spec?.entrypoint}</td>
                <td>{templateParameters(t).map((p) => `${p.name}=${p.value}`).join(', ')}</td><td>{t.metadata.creationTimestamp}</td>
                <td><button onClick={() => setSubmit({ kind, t })} aria-label={`Submit ${t.metadata.name}`}>Submit</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {submit && <SubmitDialog ns={ns} kind={submit.kind} template={submit.t} onClose={() => setSubmit(undefined)} />}
    </>
  );
}

/** SUBMIT from a (cluster) workflow template: entrypoint and parameters (enums as a choice), then to the new workflow's page. */
export function SubmitDialog({ ns, kind, template, onClose }: { ns: string; kind: string; template: any; onClose: () => void }) {
  const params = templateParameters(template);
  const [values, setValues] = useState<Record<string, string>>(Object.fromEntries(params.map((p) => [p.name, p.value])));
  const [entry, setEntry] = useState(template.spec?.entrypoint ?? '');
  const [labels, setLabels] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    setError('');
    try {
      const wf = await api('POST', `api/v1/workflows/${encodeURIComponent(ns)}/submit`, {
        resourceKind: kind, resourceName: template.metadata.name, namespace: ns,
        submitOptions: { entryPoint: entry || undefined, parameters: Object.entries(values).map(([k, v]) => `${k}=${v}`), labels: labels.trim() || undefined },
      });
      navigate(`workflows/${encodeURIComponent(wf.metadata.namespace ?? ns)}/${encodeURIComponent(wf.metadata.name)}`);
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  const templates: string[] = (template.spec?.templates ?? []).map((t: any) => t.name);
  return (
    <Drawer title={`Submit ${template.metadata.name}`} onClose={onClose}>
      <form className="form" onSubmit={(e) => { e.preventDefault(); void go(); }}>
        <label>Entrypoint <select value={entry} onChange={(e) => setEntry(e.target.value)}>{templates.map((t) => <option key={t}>{t}</option>)}</select></label>
        {params.length === 0 && <p className="muted">This template has no parameters.</p>}
        {params.map((p) => (
          <label key={p.name}>
            Parameter {p.name}{p.description ? <span className="muted"> — {p.description}</span> : null}
            {p.enum?.length ? (
              <select value={values[p.name]} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })}>{p.enum.map((v) => <option key={v}>{v}</option>)}</select>
            ) : (
              <input type="text" value={values[p.name] ?? ''} onChange={(e) => setValues({ ...values, [p.name]: e.target.value })} />
            )}
          </label>
        ))}
        <label>Labels <input type="text" value={labels} onChange={(e) => setLabels(e.target.value)} placeholder="key=value,key2=value2" /></label>
        {error && <div className="banner error" role="alert">{error}</div>}
        <div><button type="submit" className="primary" disabled={busy}>{busy ? 'Submitting…' : 'Submit'}</button></div>
      </form>
    </Drawer>
  );
}

export function CronWorkflows({ ns }: { ns: string }) {
  const [items, error, reload] = useList(`api/v1/cron-workflows/${encodeURIComponent(ns)}`);
  const [msg, setMsg] = useState('');
  const act = async (c: any, verb: 'suspend' | 'resume') => {
    setMsg('');
    try {
      await api('PUT', `api/v1/cron-workflows/${encodeURIComponent(ns)}/${encodeURIComponent(c.metadata.name)}/${verb}`, { namespace: ns, name: c.metadata.name });
      reload();
    } catch (e) {
      setMsg(`${verb} ${c.metadata.name}: ${(e as Error).message}`);
    }
  };
  const submitNow = async (c: any) => {
    try {
      const wf = await api('POST', `api/v1/workflows/${encodeURIComponent(ns)}/submit`, { resourceKind: 'CronWorkflow', resourceName: c.metadata.name, namespace: ns });
      navigate(`workflows/${encodeURIComponent(ns)}/${encodeURIComponent(wf.metadata.name)}`);
    } catch (e) {
      setMsg(`submit ${c.metadata.name}: ${(e as Error).message}`);
    }
  };
  return (
    <>
      {(error || msg) && <div className="banner error" role="alert">{error || msg}</div>}
      {items && items.length === 0 && <div className="empty">No CronWorkflows in {ns}.</div>}
      {!!items?.length && (
        <table className="grid" aria-label="Cron workflows">
          <thead><tr><th>Name</th><th>Schedule</th><th>Timezone</th><th>State</th><th>Next runs</th><th>Last scheduled</th><th>Active</th><th>Policy</th><th /></tr></thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.metadata.uid ?? c.metadata.name}>
                <td>{c.metadata.name}</td>
                <td><code>{c.spec?.schedule ?? (c.spec?.schedules ?? []).join(', ')}</code></td>
                <td>{c.spec?.timezone ?? ''}</td>
                <td>{c.spec?.suspend ? <PhaseStatus value="Suspended" /> : <PhaseStatus value="Running" />}</td>
                <td>{(() => {
                  const r = nextRuns(c.spec, 3);
                  return r.error ? <span className="status bad">{r.error}</span> : c.spec?.suspend ? <span className="muted">suspended</span> : r.runs.map((d) => <div key={d.getTime()}>{d.toISOString().replace('.000Z', 'Z')}</div>);
                })()}</td>
                <td>{c.status?.lastScheduledTime ?? ''}</td>
                <td>{(c.status?.active ?? []).map((a: any) => a.name).join(', ')}</td>
                <td>{c.spec?.concurrencyPolicy ?? 'Allow'}</td>
                <td>
                  {c.spec?.suspend ? <button onClick={() => act(c, 'resume')} aria-label={`Resume ${c.metadata.name}`}>Resume</button> : <button onClick={() => act(c, 'suspend')} aria-label={`Suspend ${c.metadata.name}`}>Suspend</button>}
                  {' '}<button onClick={() => submitNow(c)} aria-label={`Submit ${c.metadata.name} now`}>Submit now</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Archive({ ns }: { ns: string }) {
  const [items, error] = useList(`api/v1/archived-workflows?namespace=${encodeURIComponent(ns)}`);
  const [open, setOpen] = useState<any>();
  const show = (uid: string) => api('GET', `api/v1/archived-workflows/${encodeURIComponent(uid)}`).then(setOpen, (e) => setOpen({ error: (e as Error).message }));
  return (
    <>
      {error && <div className="banner error" role="alert">The archive: {error}</div>}
      {items && items.length === 0 && <div className="empty">No archived workflows in {ns}.</div>}
      {!!items?.length && (
        <table className="grid" aria-label="Archived workflows">
          <thead><tr><th>Name</th><th>Namespace</th><th>Phase</th><th>Started</th><th>Finished</th><th>Duration</th></tr></thead>
          <tbody>
            {items.map((w) => (
              <tr key={w.metadata.uid}>
                <td><button className="link" onClick={() => show(w.metadata.uid)}>{w.metadata.name}</button></td><td>{w.metadata.namespace}</td>
                <td><PhaseStatus value={w.status?.phase} /></td><td>{w.status?.startedAt}</td><td>{w.status?.finishedAt}</td><td>{duration(w.status?.startedAt, w.status?.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open && (
        <Drawer title={open.metadata?.name ?? 'Archived workflow'} onClose={() => setOpen(undefined)}>
          {open.error ? <div className="banner error" role="alert">{open.error}</div> : <pre className="yaml">{JSON.stringify(open, null, 2)}</pre>}
        </Drawer>
      )}
    </>
  );
}
