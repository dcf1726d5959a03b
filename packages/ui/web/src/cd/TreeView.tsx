/** The resource tree laid out by elkjs (layered, left to right), nodes as buttons with health/sync icon + text. */
import { useEffect, useState } from 'react';
import type { Graph, GraphNode } from '../../../src/lib/tree.js';
import { HealthStatus, SyncStatus, kindAbbrev } from '../icons';

const W = 250;
const H = 54;

interface Laid {
  pos: Map<string, { x: number; y: number }>;
  edges: { id: string; d: string }[];
  width: number;
  height: number;
  ms: number;
}

let elkP: Promise<{ layout: (g: any) => Promise<any> }> | undefined;
const elk = () => (elkP ??= import('elkjs/lib/elk.bundled.js').then((m) => new (m.default as any)()));

export async function layout(g: Graph): Promise<Laid> {
  const t0 = performance.now();
  const res = await (await elk()).layout({
    id: 'root',
    layoutOptions: { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.layered.spacing.nodeNodeBetweenLayers': '60', 'elk.spacing.nodeNode': '14', 'elk.edgeRouting': 'ORTHOGONAL' },
    children: g.nodes.map((n) => ({ id: n.id, width: W, height: H })),
    edges: g.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  });
  const pos = new Map<string, { x: number; y: number }>();
  for (const c of res.children ?? []) pos.set(c.id, { x: c.x + 10, y: c.y + 10 });
  const edges = (res.edges ?? []).map((e: any) => {
    const s = e.sections?.[0];
    if (!s) return { id: e.id, d: '' };
    const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return { id: e.id, d: pts.map((p: any, i: number) => `${i ? 'L' : 'M'}${p.x + 10},${p.y + 10}`).join(' ') };
  });
  return { pos, edges, width: (res.width ?? 0) + 20, height: (res.height ?? 0) + 20, ms: performance.now() - t0 };
}

export function TreeView({ graph, onSelect }: { graph: Graph; onSelect: (n: GraphNode) => void }) {
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
    <div className="graph" style={{ height: Math.min(laid.height, 2000) + 4 }} data-layout-ms={laid.ms.toFixed(0)} role="tree" aria-label="Resource tree">
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
