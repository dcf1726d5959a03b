/** A workflow's graph (DAG or steps) laid out by elkjs, top to bottom; each node a button with its phase as icon + text. */
import { useEffect, useState } from 'react';
import type { WfGraph as Graph, WfGraphNode } from '../../../src/lib/wfgraph.js';
import { layoutGraph, type Laid } from '../../../src/lib/layout.js';
import { PhaseStatus } from '../icons';

const W = 190;
const H = 46;
const TYPE: Record<string, string> = { Pod: 'pod', DAG: 'dag', Steps: 'steps', StepGroup: 'group', TaskGroup: 'group', Retry: 'retry', Suspend: 'pause', Skipped: 'skip', Collapsed: '…', Container: 'ctr', HTTP: 'http', Plugin: 'plug' };

export function WfGraph({ graph, selected, onSelect }: { graph: Graph; selected?: string; onSelect: (n: WfGraphNode) => void }) {
  const [laid, setLaid] = useState<Laid>();
  const [error, setError] = useState('');
  const shape = JSON.stringify([graph.nodes.map((n) => n.id), graph.edges]);
  useEffect(() => {
    let live = true;
    layoutGraph(graph, { w: W, h: H }).then((l) => live && setLaid(l), (e) => setError(String(e)));
    return () => void (live = false);
  }, [shape]);
  if (error) return <div className="banner error">Laying out the graph failed: {error}</div>;
  if (!graph.nodes.length) return <div className="empty">No nodes yet.</div>;
  if (!laid) return <div className="empty" role="status">Laying out {graph.nodes.length} nodes…</div>;
  return (
    <div className="graph" style={{ height: Math.min(laid.height, 1600) + 4 }} data-layout-ms={laid.ms.toFixed(0)} role="tree" aria-label="Workflow graph">
      <svg className="edges" width={laid.width} height={laid.height} aria-hidden="true">
        {laid.edges.map((e) => <path key={e.id} d={e.d} />)}
      </svg>
      {graph.nodes.map((n) => {
        const p = laid.pos.get(n.id);
        if (!p) return null;
        return (
          <button key={n.id} className={`gnode wf phase-${n.phase}${n.root ? ' root' : ''}${selected === n.id ? ' selected' : ''}`} style={{ left: p.x, top: p.y, width: W, height: H }} onClick={() => onSelect(n)} role="treeitem" aria-selected={selected === n.id} data-node={n.label} data-phase={n.phase} title={`${n.label} (${n.type}): ${n.phase}`}>
            <span className="kind" aria-hidden="true">{TYPE[n.type] ?? n.type.slice(0, 5).toLowerCase()}</span>
            <span className="meta">
              <span className="name" title={n.label}>{n.label}<span className="sr-only"> ({n.type})</span></span>
              <span className="states"><PhaseStatus value={n.phase} /></span>
            </span>
          </button>
        );
      })}
    </div>
  );
}
