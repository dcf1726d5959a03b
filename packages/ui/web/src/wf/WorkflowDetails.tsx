/**
 * A workflow's page: phase, progress, timing, its graph (DAG or steps) live from argo-server's watch stream,
 * a node's panel, and RESUBMIT, RETRY, SUSPEND, RESUME, STOP, TERMINATE, DELETE (argo-server's REST API).
 */
import { useEffect, useMemo, useState } from 'react';
import { api, stream } from '../api';
import { Link, navigate } from '../router';
import { PhaseStatus } from '../icons';
import { buildWorkflowGraph, duration, workflowActions, type WfNodeStatus } from '../../../src/lib/wfgraph.js';
import { fresher } from '../../../src/lib/fresh.js';
import { WfGraph } from './WfGraph';
import { NodePanel } from './NodePanel';
import { Drawer } from '../cd/Drawer';
import { useYaml, YamlView } from '../cd/Yaml';

export function WorkflowDetails({ ns, name, nodeId }: { ns: string; name: string; nodeId?: string }) {
  const [wf, setWf] = useState<any>();
  const [error, setError] = useState('');
  const [streamState, setStreamState] = useState('');
  const [busy, setBusy] = useState('');
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | undefined>(nodeId);
  const [, tick] = useState(0);
  const [showYaml, setShowYaml] = useState(false);
  const path = `api/v1/workflows/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
  useEffect(() => {
    setWf(undefined);
    // the GET, the stream and an action's answer can arrive in any order: the newest copy stays
    const keep = (w: any) => setWf((cur: any) => fresher(cur, w));
    api('GET', path).then(keep, (e) => setError(e.message));
    const q = new URLSearchParams({ 'listOptions.fieldSelector': `metadata.name=${name}` });
    return stream(`api/v1/workflow-events/${encodeURIComponent(ns)}?${q}`, (r) => {
      if (r?.object?.metadata?.name !== name) return;
      if (r.type === 'DELETED') setError(`workflow ${ns}/${name} was deleted`);
      else keep(r.object);
    }, (s, err) => setStreamState(s === 'reconnecting' ? `The live stream was lost${err ? ` (${err})` : ''}; reconnecting…` : ''));
  }, [ns, name]);
  const running = wf && !wf.status?.finishedAt;
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [running]);
  const graph = useMemo(() => (wf ? buildWorkflowGraph(wf, { expanded }) : { nodes: [], edges: [] }), [wf, expanded]);
  const act = async (verb: string, method = 'PUT', body: unknown = {}) => {
    if ((verb === 'delete' || verb === 'terminate') && !confirm(`${verb[0]!.toUpperCase()}${verb.slice(1)} workflow ${name}?`)) return;
    setBusy(verb);
    setError('');
    try {
      const r = await api(method, verb === 'delete' ? path : `${path}/${verb}`, method === 'DELETE' ? undefined : body);
      if (verb === 'delete') return navigate('workflows');
      if (verb === 'resubmit' && r?.metadata?.name) return navigate(`workflows/${encodeURIComponent(ns)}/${encodeURIComponent(r.metadata.name)}`);
      if (r?.metadata) setWf((cur: any) => fresher(cur, r));
    } catch (e) {
      setError(`${verb}: ${(e as Error).message}`);
    } finally {
      setBusy('');
    }
  };
  if (!wf) return error ? <div className="banner error" role="alert">{error}</div> : <div className="empty" role="status">Loading…</div>;
  const can = workflowActions(wf);
  const node: WfNodeStatus | undefined = selected ? wf.status?.nodes?.[selected] : undefined;
  const buttons: [keyof typeof can, string, string?][] = [['resubmit', 'Resubmit'], ['retry', 'Retry'], ['suspend', 'Suspend'], ['resume', 'Resume'], ['stop', 'Stop'], ['terminate', 'Terminate'], ['delete', 'Delete', 'DELETE']];
  return (
    <>
      <div className="toolbar">
        <h1>{name}</h1>
        <PhaseStatus value={wf.status?.phase ?? 'Pending'} />
        {wf.metadata?.labels?.['events.argoproj.io/sensor'] && <Link to={`pipeline?ns=${encodeURIComponent(ns)}&run=${encodeURIComponent(name)}`} title="This run in its delivery pipeline">Pipeline</Link>}
        <span className="grow" />
        <button onClick={() => setShowYaml(true)}>YAML</button>
        {buttons.map(([v, label, method]) => (
          <button key={v} disabled={!can[v] || !!busy} onClick={() => act(v, method)}>{busy === v ? `${label}…` : label}</button>
        ))}
      </div>
      {streamState && <div className="banner warn" role="status">{streamState}</div>}
      {error && <div className="banner error" role="alert">{error}</div>}
      {wf.status?.message && <div className="banner" role="status">{wf.status.message}</div>}
      <dl className="kv" aria-label="Workflow summary" style={{ marginBottom: 12 }}>
        <dt>Namespace</dt><dd>{ns}</dd>
        <dt>Progress</dt><dd data-testid="progress">{wf.status?.progress ?? ''}</dd>
        <dt>Started</dt><dd>{wf.status?.startedAt ?? ''}</dd>
        <dt>Duration</dt><dd>{duration(wf.status?.startedAt, wf.status?.finishedAt)}</dd>
        {wf.metadata.labels?.['workflows.argoproj.io/workflow-template'] && <><dt>Template</dt><dd>{wf.metadata.labels['workflows.argoproj.io/workflow-template']}</dd></>}
        {!!wf.spec?.arguments?.parameters?.length && <><dt>Parameters</dt><dd>{wf.spec.arguments.parameters.map((p: any) => `${p.name}=${p.value ?? ''}`).join(', ')}</dd></>}
      </dl>
      <WfGraph graph={graph} selected={selected} onSelect={(n) => {
        if (n.collapsed && n.parent) setExpanded(new Set([...expanded, n.parent]));
        else setSelected(n.id);
      }} />
      {showYaml && <WorkflowYaml wf={wf} onClose={() => setShowYaml(false)} />}
      {node && <NodePanel wf={wf} node={node} onClose={() => setSelected(undefined)} />}
    </>
  );
}

function WorkflowYaml({ wf, onClose }: { wf: any; onClose: () => void }) {
  const text = useYaml(wf);
  return (
    <Drawer title={`Workflow ${wf.metadata.name}`} onClose={onClose}>
      <YamlView text={text} label="Workflow YAML" />
    </Drawer>
  );
}
