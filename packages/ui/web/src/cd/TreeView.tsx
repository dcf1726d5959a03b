/** The resource tree (or the network view) laid out left to right, nodes as buttons with health/sync icon + text. */
import { useEffect, useState } from 'react';
import type { Graph, GraphNode } from '../../../src/lib/tree.js';
import { layoutGraph as layout, NODE_H, NODE_W, type Laid } from '../../../src/lib/layout.js';
import { HealthStatus, SyncStatus, kindAbbrev } from '../icons';

const W = NODE_W;
const H = NODE_H;

export function TreeView({ graph, onSelect, label = 'Resource tree' }: { graph: Graph; onSelect: (n: GraphNode) => void; label?: string }) {
  const [laid, setLaid] = useState<Laid>();
  const [error, setError] = useState('');
  const shape = JSON.stringify([graph.nodes.map((n) => n.id), graph.edges]);
  useEffect(() => {
    let live = true;
    layout(graph).then((l) => live && setLaid(l), (e) => setError(String(e)));
    return () => void (live = false);
  }, [shape]);
  if (error) return <div className="banner error">Laying out the tree failed: {error}</div>;
  if (!laid) return <div className="empty" role="status">Laying out {graph.nodes.length} resources…</div>;
  return (
    <div className="graph" style={{ height: Math.min(laid.height, 2000) + 4 }} data-layout-ms={laid.ms.toFixed(0)} role="tree" aria-label={label}>
      <svg className="edges" width={laid.width} height={laid.height} aria-hidden="true">
        {laid.edges.map((e) => <path key={e.id} d={e.d} />)}
      </svg>
      {graph.nodes.map((n) => {
        const p = laid.pos.get(n.id);
        if (!p) return null;
        return (
          <button key={n.id} className={`gnode${n.root ? ' root' : ''}${n.live ? '' : ' missing'}`} style={{ left: p.x, top: p.y, width: W, height: H }} onClick={() => onSelect(n)} role="treeitem" data-kind={n.kind} data-name={n.name}>
            <span className="kind" aria-hidden="true">{kindAbbrev(n.kind)}</span>
            <span className="meta">
              <span className="name" title={n.name}>{n.name}</span>
              <span className="muted">{n.kind}</span>
              <span className="states">
                {n.health && <HealthStatus value={n.health} />}
                {n.sync && <SyncStatus value={n.sync} />}
              </span>
            </span>
          </button>
        );
      })}
    </div>
  );
}
