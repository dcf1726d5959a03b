/** A workflow node's panel: summary (type, phase, template, timing, pod, message), inputs/outputs, the template's containers, logs (streamed from argo-server), the pod's events, the node as JSON. */
import { useEffect, useRef, useState } from 'react';
import { stream } from '../api';
import { Drawer } from '../cd/Drawer';
import { PhaseStatus } from '../icons';
import { duration, ioRows, nodeContainers, podNameOf, type WfNodeStatus } from '../../../src/lib/wfgraph.js';

type Tab = 'summary' | 'io' | 'containers' | 'logs' | 'events' | 'json';

export function NodePanel({ wf, node, onClose }: { wf: any; node: WfNodeStatus; onClose: () => void }) {
  const pod = podNameOf(wf.metadata.name, node);
  const [tab, setTab] = useState<Tab>('summary');
  const tabs: [Tab, string][] = [['summary', 'Summary'], ['io', 'Inputs/outputs'], ...(pod ? ([['containers', 'Containers'], ['logs', 'Logs'], ['events', 'Events']] as [Tab, string][]) : []), ['json', 'Node']];
  const rows = ioRows(node);
  const base = `api/v1/workflows/${encodeURIComponent(wf.metadata.namespace)}/${encodeURIComponent(wf.metadata.name)}`;
  return (
    <Drawer title={node.displayName ?? node.name} onClose={onClose}>
      <div className="tabs" role="tablist">
        {tabs.map(([t, l]) => <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>{l}</button>)}
      </div>
      {tab === 'summary' && (
        <table className="grid" aria-label="Node summary">
          <tbody>
            <tr><th>Name</th><td>{node.name}</td></tr>
            <tr><th>ID</th><td>{node.id}</td></tr>
            <tr><th>Type</th><td>{node.type}</td></tr>
            <tr><th>Phase</th><td><PhaseStatus value={node.phase ?? 'Pending'} /></td></tr>
            {node.message && <tr><th>Message</th><td>{node.message}</td></tr>}
            <tr><th>Template</th><td>{node.templateName ?? (node.templateRef ? `${node.templateRef.name}/${node.templateRef.template}` : '')}</td></tr>
            <tr><th>Started</th><td>{node.startedAt ?? ''}</td></tr>
            <tr><th>Finished</th><td>{node.finishedAt ?? ''}</td></tr>
            <tr><th>Duration</th><td>{duration(node.startedAt, node.finishedAt)}</td></tr>
            {pod && <tr><th>Pod</th><td>{pod}</td></tr>}
            {node.hostNodeName && <tr><th>Host node</th><td>{node.hostNodeName}</td></tr>}
            {node.resourcesDuration && <tr><th>Resources</th><td>{Object.entries(node.resourcesDuration).map(([k, v]) => `${v}s×${k}`).join(', ')}</td></tr>}
          </tbody>
        </table>
      )}
      {tab === 'io' && (rows.length === 0 ? <div className="empty">No inputs or outputs.</div> : (
        <table className="grid" aria-label="Inputs and outputs">
          <thead><tr><th>Direction</th><th>Kind</th><th>Name</th><th>Value</th></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}><td>{r.dir}</td><td>{r.kind}</td><td>{r.name}</td><td>
                {r.kind === 'artifact' ? <a href={`artifact-files/${encodeURIComponent(wf.metadata.namespace)}/workflows/${encodeURIComponent(wf.metadata.name)}/${encodeURIComponent(node.id)}/${r.dir === 'input' ? 'inputs' : 'outputs'}/${encodeURIComponent(r.name)}`} download>{r.value || 'download'}</a> : <code>{r.value}</code>}
              </td></tr>
            ))}
          </tbody>
        </table>
      ))}
      {tab === 'containers' && <Containers wf={wf} node={node} />}
      {tab === 'logs' && pod && <Logs base={base} pod={pod} running={!node.finishedAt} />}
      {tab === 'events' && pod && <PodEvents ns={wf.metadata.namespace} pod={pod} />}
      {tab === 'json' && <pre className="yaml">{JSON.stringify(node, null, 2)}</pre>}
    </Drawer>
  );
}

function Logs({ base, pod, running }: { base: string; pod: string; running: boolean }) {
  const [container, setContainer] = useState('main');
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setLines([]);
    const q = new URLSearchParams({ podName: pod, 'logOptions.container': container, 'logOptions.follow': String(running) });
    const acc: string[] = [];
    return stream(`${base}/log?${q}`, (r) => {
      if (typeof r?.content !== 'string') return;
      acc.push(r.content);
      setLines([...acc]);
    }, (s, err) => setState(s === 'reconnecting' ? `stream ended${err ? `: ${err}` : ''}` : ''), { reconnect: false });
  }, [base, pod, container]);
  useEffect(() => {
    box.current?.scrollTo(0, box.current.scrollHeight);
  }, [lines]);
  return (
    <>
      <div className="toolbar">
        <label>Container <select value={container} onChange={(e) => setContainer(e.target.value)}><option>main</option><option>init</option><option>wait</option></select></label>
        {state && <span className="muted" role="status">{state}</span>}
      </div>
      <div className="logs" ref={box} role="log" aria-label="Logs" tabIndex={0}>
        {lines.length === 0 ? <span style={{ opacity: 0.6 }}>No log lines yet.</span> : lines.map((l, i) => <div key={i}>{l}</div>)}
      </div>
    </>
  );
}

/** The pod's Kubernetes events, live from argo-server's event stream (`/api/v1/stream/events/{ns}`). */
function PodEvents({ ns, pod }: { ns: string; pod: string }) {
  const [items, setItems] = useState<any[]>([]);
  const [error, setError] = useState('');
  useEffect(() => {
    const seen = new Map<string, any>();
    setItems([]);
    const q = new URLSearchParams({ 'listOptions.fieldSelector': `involvedObject.name=${pod}` });
    return stream(`api/v1/stream/events/${encodeURIComponent(ns)}?${q}`, (ev) => {
      if (!ev?.metadata?.name || ev.involvedObject?.name !== pod) return;
      seen.set(ev.metadata.name, ev);
      setItems([...seen.values()].sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? ''))));
    }, (s, err) => setError(s === 'reconnecting' && err ? err : ''));
  }, [ns, pod]);
  return (
    <>
      {error && <div className="banner warn" role="status">{error}</div>}
      {items.length === 0 ? <div className="empty">No events yet.</div> : (
        <table className="grid" aria-label="Pod events">
          <thead><tr><th>Type</th><th>Reason</th><th>Message</th><th>Count</th><th>Last seen</th></tr></thead>
          <tbody>{items.map((e) => <tr key={e.metadata.name}><td>{e.type}</td><td>{e.reason}</td><td>{e.message}</td><td>{e.count ?? 1}</td><td>{e.lastTimestamp ?? e.eventTime ?? ''}</td></tr>)}</tbody>
        </table>
      )}
    </>
  );
}

/** The containers of the node's template (image, command, args, working directory, env, resources, script source). */
function Containers({ wf, node }: { wf: any; node: WfNodeStatus }) {
  const { template, containers } = nodeContainers(wf, node);
  if (!containers.length) return <div className="empty">No container found for template {template ?? '?'}.</div>;
  return (
    <>
      {containers.map((c, i) => (
        <table key={i} className="grid" aria-label={`Container ${c.name}`}>
          <tbody>
            <tr><th>Container</th><td>{c.name} ({c.role})</td></tr>
            <tr><th>Image</th><td><code>{c.image}</code></td></tr>
            {c.command.length > 0 && <tr><th>Command</th><td><code>{JSON.stringify(c.command)}</code></td></tr>}
            {c.args.length > 0 && <tr><th>Args</th><td><code>{JSON.stringify(c.args)}</code></td></tr>}
            {c.workingDir && <tr><th>Working directory</th><td><code>{c.workingDir}</code></td></tr>}
            {c.env.length > 0 && <tr><th>Env</th><td>{c.env.map((e) => <div key={e.name}><code>{e.name}={e.value}</code></div>)}</td></tr>}
            {c.resources && <tr><th>Resources</th><td><code>{JSON.stringify(c.resources)}</code></td></tr>}
            {c.source !== undefined && <tr><th>Source</th><td><pre className="yaml">{c.source}</pre></td></tr>}
          </tbody>
        </table>
      ))}
    </>
  );
}
