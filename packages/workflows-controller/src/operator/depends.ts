// DAG `depends` expressions: `A && (B.Failed || !C.Succeeded)`. Task names may contain '-' and digits.
// A bare `A` means `(A.Succeeded || A.Skipped || A.Daemoned)`, as Argo documents.

export type DependResult = 'Succeeded' | 'Failed' | 'Errored' | 'Skipped' | 'Omitted' | 'Daemoned' | 'AnySucceeded' | 'AllFailed' | 'Completed';
const RESULTS = new Set<string>(['Succeeded', 'Failed', 'Errored', 'Skipped', 'Omitted', 'Daemoned', 'AnySucceeded', 'AllFailed', 'Completed']);

export type DependNode =
  | { kind: 'ref'; task: string; result?: DependResult; pos: number }
  | { kind: 'not'; x: DependNode }
  | { kind: 'and' | 'or'; a: DependNode; b: DependNode };

export class DependsError extends Error {
  constructor(readonly reason: string, readonly pos: number, src: string) {
    super(`invalid 'depends' expression '${src}': ${reason} at position ${pos + 1}`);
  }
}

type Tok = { t: 'id' | '&&' | '||' | '!' | '(' | ')'; v: string; pos: number };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||') { out.push({ t: two, v: two, pos: i }); i += 2; continue; }
    if (c === '!' || c === '(' || c === ')') { out.push({ t: c, v: c, pos: i }); i++; continue; }
    const m = /^[A-Za-z0-9_][A-Za-z0-9_\-.]*/.exec(src.slice(i));
    if (!m) throw new DependsError(`unexpected character '${c}'`, i, src);
    out.push({ t: 'id', v: m[0], pos: i });
    i += m[0].length;
  }
  return out;
}

export function parseDepends(src: string): DependNode {
  const toks = lex(src);
  let p = 0;
  const peek = () => toks[p];
  const expect = (t: Tok['t']) => {
    const k = toks[p];
    if (!k || k.t !== t) throw new DependsError(k ? `unexpected '${k.v}', expected '${t}'` : `unexpected end, expected '${t}'`, k ? k.pos : src.length, src);
    p++;
  };
  const primary = (): DependNode => {
    const k = peek();
    if (!k) throw new DependsError('unexpected end of expression', src.length, src);
    if (k.t === '!') { p++; return { kind: 'not', x: primary() }; }
    if (k.t === '(') { p++; const e = or(); expect(')'); return e; }
    if (k.t !== 'id') throw new DependsError(`unexpected '${k.v}'`, k.pos, src);
    p++;
    const dot = k.v.lastIndexOf('.');
    if (dot > 0 && RESULTS.has(k.v.slice(dot + 1))) return { kind: 'ref', task: k.v.slice(0, dot), result: k.v.slice(dot + 1) as DependResult, pos: k.pos };
    if (dot > 0 && /^[A-Z]/.test(k.v.slice(dot + 1))) throw new DependsError(`unknown task result '${k.v.slice(dot + 1)}'`, k.pos + dot + 1, src);
    return { kind: 'ref', task: k.v, pos: k.pos };
  };
  const and = (): DependNode => {
    let a = primary();
    while (peek()?.t === '&&') { p++; a = { kind: 'and', a, b: primary() }; }
    return a;
  };
  const or = (): DependNode => {
    let a = and();
    while (peek()?.t === '||') { p++; a = { kind: 'or', a, b: and() }; }
    return a;
  };
  const e = or();
  if (p < toks.length) throw new DependsError(`unexpected '${toks[p]!.v}'`, toks[p]!.pos, src);
  return e;
}

export function dependsTasks(n: DependNode, out = new Set<string>()): Set<string> {
  if (n.kind === 'ref') out.add(n.task);
  else if (n.kind === 'not') dependsTasks(n.x, out);
  else { dependsTasks(n.a, out); dependsTasks(n.b, out); }
  return out;
}

/** Evaluates with `test(task, result)`; a bare reference is Succeeded || Skipped || Daemoned. */
export function evalDepends(n: DependNode, test: (task: string, r: DependResult) => boolean): boolean {
  switch (n.kind) {
    case 'ref':
      return n.result ? test(n.task, n.result) : test(n.task, 'Succeeded') || test(n.task, 'Skipped') || test(n.task, 'Daemoned');
    case 'not': return !evalDepends(n.x, test);
    case 'and': return evalDepends(n.a, test) && evalDepends(n.b, test);
    case 'or': return evalDepends(n.a, test) || evalDepends(n.b, test);
  }
}

/** `dependencies: [A, B]` as a depends expression: `A && B`. */
export function dependenciesToDepends(deps: string[]): string {
  return deps.join(' && ');
}
