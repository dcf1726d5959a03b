/**
 * A fast layered layout for large graphs (hundreds of nodes), left to right, in O(nodes + edges): columns by
 * longest path from the roots (so every edge runs left to right in a DAG), rows as a tidy tree over a spanning
 * tree (first parent wins: leaves take consecutive rows, a parent sits at the middle of its children), so
 * subtrees never overlap and a tree's edges never cross. Edges are drawn with one vertical bend halfway.
 * elkjs's layered algorithm gives nicer results for small graphs but takes ~0.4–2 s on 500 nodes here.
 */

export interface FastLaid {
  pos: Map<string, { x: number; y: number }>;
  edges: { id: string; d: string }[];
  width: number;
  height: number;
}

export function layeredLayout(g: { nodes: { id: string }[]; edges: { from: string; to: string }[] }, o: { w: number; h: number; gapX?: number; gapY?: number; margin?: number }): FastLaid {
  const gapX = o.gapX ?? 60;
  const gapY = o.gapY ?? 14;
  const m = o.margin ?? 10;
  const ids = g.nodes.map((n) => n.id);
  const known = new Set(ids);
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  const indeg = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const e of g.edges) {
    if (!known.has(e.from) || !known.has(e.to) || e.from === e.to) continue;
    out.get(e.from)!.push(e.to);
    indeg.set(e.to, indeg.get(e.to)! + 1);
  }
  // columns: longest path over a topological order (Kahn); nodes on a cycle get the column after their placed parents
  const layer = new Map<string, number>();
  const queue = ids.filter((id) => indeg.get(id) === 0);
  const left = new Map(indeg);
  for (const id of queue) layer.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i]!;
    for (const c of out.get(id)!) {
      layer.set(c, Math.max(layer.get(c) ?? 0, layer.get(id)! + 1));
      left.set(c, left.get(c)! - 1);
      if (left.get(c) === 0) queue.push(c);
    }
  }
  // nodes on (or after) a cycle: no longest path; they take the column after their parent in the spanning tree
  const placed = new Set(layer.keys());
  // rows: a tidy tree over a spanning tree found depth first from the roots (in the graph's order)
  const kids = new Map<string, string[]>();
  const seen = new Set<string>();
  const roots: string[] = [];
  const span = (root: string) => {
    const stack = [root];
    seen.add(root);
    while (stack.length) {
      const id = stack.pop()!;
      const ks: string[] = [];
      if (!layer.has(id)) layer.set(id, 0);
      for (const c of out.get(id)!) if (!seen.has(c)) {
        seen.add(c);
        ks.push(c);
        if (!placed.has(c)) layer.set(c, layer.get(id)! + 1);
      }
      kids.set(id, ks);
      for (let i = ks.length - 1; i >= 0; i--) stack.push(ks[i]!);
    }
  };
  for (const id of ids) if (indeg.get(id) === 0 && !seen.has(id)) {
    roots.push(id);
    span(id);
  }
  for (const id of ids) if (!seen.has(id)) {
    roots.push(id);
    span(id);
  }
  const row = new Map<string, number>();
  let next = 0;
  // post-order without recursion (deep chains must not overflow the stack)
  for (const r of roots) {
    const stack: [string, number][] = [[r, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ks = kids.get(top[0]) ?? [];
      if (top[1] < ks.length) {
        stack.push([ks[top[1]++]!, 0]);
        continue;
      }
      stack.pop();
      row.set(top[0], ks.length ? (row.get(ks[0]!)! + row.get(ks[ks.length - 1]!)!) / 2 : next++);
    }
  }
  const pos = new Map<string, { x: number; y: number }>();
  let maxL = 0;
  for (const id of ids) {
    const l = layer.get(id)!;
    maxL = Math.max(maxL, l);
    pos.set(id, { x: m + l * (o.w + gapX), y: m + row.get(id)! * (o.h + gapY) });
  }
  const edges = g.edges.map((e, i) => {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    if (!a || !b) return { id: `e${i}`, d: '' };
    const x1 = a.x + o.w;
    const y1 = a.y + o.h / 2;
    const x2 = b.x;
    const y2 = b.y + o.h / 2;
    const xm = x2 > x1 ? x2 - gapX / 2 : x1 + gapX / 2;
    return { id: `e${i}`, d: `M${x1},${y1} L${xm},${y1} L${xm},${y2} L${x2},${y2}` };
  });
  return { pos, edges, width: 2 * m + (maxL + 1) * (o.w + gapX) - gapX, height: 2 * m + Math.max(next, 1) * (o.h + gapY) - gapY };
}
