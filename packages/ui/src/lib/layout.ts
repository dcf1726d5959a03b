/**
 * The resource tree's layout with elkjs (layered, left to right, orthogonal edges): node positions
 * and edge paths for a graph from `buildGraph`. No DOM: the browser and the Node tests run the same code.
 */
import type { Graph } from './tree.js';
import { layeredLayout } from './layered.js';

export const NODE_W = 250;
export const NODE_H = 54;

export interface Laid {
  pos: Map<string, { x: number; y: number }>;
  edges: { id: string; d: string }[];
  width: number;
  height: number;
  ms: number;
}

interface Elk {
  layout(g: unknown): Promise<any>;
}

let elkP: Promise<Elk> | undefined;
// elk.bundled runs the layout in the calling thread (no worker), in the browser and in Node alike
const elk = () => (elkP ??= import('elkjs/lib/elk.bundled.js').then((m) => new ((m as any).default ?? m)() as Elk));

/** elkjs (orthogonal edges, elk's default node placement) up to BIG nodes; past that, `layeredLayout`
 * (layered.ts, linear time). The big-graph elk options stay for callers that want elk at any size. */
export const BIG = 150;
export function layoutOptions(n: number): Record<string, string> {
  const common = { 'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.layered.spacing.nodeNodeBetweenLayers': '60', 'elk.spacing.nodeNode': '14' };
  if (n <= BIG) return { ...common, 'elk.edgeRouting': 'ORTHOGONAL' };
  return { ...common, 'elk.edgeRouting': 'POLYLINE', 'elk.layered.nodePlacement.strategy': 'SIMPLE', 'elk.layered.thoroughness': '1' };
}

export async function layoutGraph(g: Graph | { nodes: { id: string }[]; edges: { from: string; to: string }[] }, size: { w: number; h: number } = { w: NODE_W, h: NODE_H }): Promise<Laid> {
  if (g.nodes.length > BIG) {
    // past BIG nodes: the linear-time layered layout (no elkjs: a 500-node tree in a few ms instead of 0.4–2 s)
    const t = performance.now();
    const l = layeredLayout(g, size);
    return { ...l, ms: performance.now() - t };
  }
  const engine = await elk();
  const t0 = performance.now();
  const res = await engine.layout({
    id: 'root',
    layoutOptions: layoutOptions(g.nodes.length),
    children: g.nodes.map((n) => ({ id: n.id, width: size.w, height: size.h })),
    edges: g.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  });
  const pos = new Map<string, { x: number; y: number }>();
  for (const c of res.children ?? []) pos.set(c.id, { x: c.x + 10, y: c.y + 10 });
  const edges = (res.edges ?? []).map((e: any) => {
    const s = e.sections?.[0];
    if (!s) return { id: e.id as string, d: '' };
    const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
    return { id: e.id as string, d: pts.map((p: { x: number; y: number }, i: number) => `${i ? 'L' : 'M'}${p.x + 10},${p.y + 10}`).join(' ') };
  });
  return { pos, edges, width: (res.width ?? 0) + 20, height: (res.height ?? 0) + 20, ms: performance.now() - t0 };
}
