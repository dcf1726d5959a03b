/**
 * Trigger conditions over dependency names: `a && (b || c)`, `!a`, names may contain - . _ (as upstream's
 * dependency names do). Parsed once; evaluated against the set of dependencies that have an event.
 */
export type Cond = { k: 'dep'; name: string } | { k: 'not'; x: Cond } | { k: 'and' | 'or'; l: Cond; r: Cond };

export class ConditionError extends Error {}

export function parseConditions(src: string): Cond {
  const toks: string[] = [];
  const re = /\s*(&&|\|\||!|\(|\)|[A-Za-z0-9_][A-Za-z0-9_.\-:]*)/y;
  let i = 0;
  const s = src.trim();
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) throw new ConditionError(`conditions ${JSON.stringify(src)}: unexpected ${JSON.stringify(s.slice(i, i + 10))} at ${i}`);
    toks.push(m[1]!);
    i = re.lastIndex;
    while (s[i] === ' ' || s[i] === '\t' || s[i] === '\n') i++;
  }
  let p = 0;
  const peek = () => toks[p];
  const or = (): Cond => {
    let l = and();
    while (peek() === '||') {
      p++;
      l = { k: 'or', l, r: and() };
    }
    return l;
  };
  const and = (): Cond => {
    let l = unary();
    while (peek() === '&&') {
      p++;
      l = { k: 'and', l, r: unary() };
    }
    return l;
  };
  const unary = (): Cond => {
    const t = toks[p++];
    if (t === undefined) throw new ConditionError(`conditions ${JSON.stringify(src)}: unexpected end`);
    if (t === '!') return { k: 'not', x: unary() };
    if (t === '(') {
      const x = or();
      if (toks[p++] !== ')') throw new ConditionError(`conditions ${JSON.stringify(src)}: missing ")"`);
      return x;
    }
    if (t === ')' || t === '&&' || t === '||') throw new ConditionError(`conditions ${JSON.stringify(src)}: unexpected ${t}`);
    return { k: 'dep', name: t };
  };
  if (toks.length === 0) throw new ConditionError('conditions: empty');
  const c = or();
  if (p !== toks.length) throw new ConditionError(`conditions ${JSON.stringify(src)}: unexpected ${toks[p]}`);
  return c;
}

export function condDeps(c: Cond, out = new Set<string>()): Set<string> {
  if (c.k === 'dep') out.add(c.name);
  else if (c.k === 'not') condDeps(c.x, out);
  else {
    condDeps(c.l, out);
    condDeps(c.r, out);
  }
  return out;
}

export function evalCond(c: Cond, have: (dep: string) => boolean): boolean {
  switch (c.k) {
    case 'dep':
      return have(c.name);
    case 'not':
      return !evalCond(c.x, have);
    case 'and':
      return evalCond(c.l, have) && evalCond(c.r, have);
    case 'or':
      return evalCond(c.l, have) || evalCond(c.r, have);
  }
}

/** The condition of a trigger: its `conditions`, or every dependency of the sensor (AND). */
export function triggerCondition(conditions: string | undefined, allDeps: string[]): Cond {
  if (conditions && conditions.trim()) return parseConditions(conditions);
  if (allDeps.length === 0) throw new ConditionError('the sensor has no dependencies');
  return allDeps.map((name): Cond => ({ k: 'dep', name })).reduce((l, r) => ({ k: 'and', l, r }));
}
