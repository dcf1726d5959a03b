/** Label and field selectors as the Kubernetes API accepts them in `labelSelector` / `fieldSelector`. */

export type LabelRequirement =
  | { key: string; op: '=' | '!='; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!' }
  /** `n>1`, `n<5`: the label is an integer greater / less than the value */
  | { key: string; op: 'gt' | 'lt'; value: string };

export class SelectorError extends Error {}

/** Parses "a=b,c!=d,e in (x,y),!f,g" into requirements. Throws SelectorError with a clear message. */
export function parseLabelSelector(sel: string): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  let i = 0;
  const s = sel;
  const ws = () => {
    while (i < s.length && s[i] === ' ') i++;
  };
  const ident = () => {
    ws();
    const st = i;
    while (i < s.length && /[A-Za-z0-9_.\-/]/.test(s[i])) i++;
    return s.slice(st, i);
  };
  while (true) {
    ws();
    if (i >= s.length) break;
    if (s[i] === '!') {
      i++;
      const key = ident();
      if (!key) throw new SelectorError(`unable to parse requirement: found '${s.slice(i)}', expected: identifier`);
      out.push({ key, op: '!' });
    } else {
      const key = ident();
      if (!key) throw new SelectorError(`unable to parse requirement: found '${s.slice(i) || 'end of string'}', expected: identifier`);
      ws();
      if (i >= s.length || s[i] === ',') {
        out.push({ key, op: 'exists' });
      } else if (s[i] === '>' || s[i] === '<') {
        const op = s[i] === '>' ? 'gt' : 'lt';
        i++;
        ws();
        const st = i;
        while (i < s.length && /[0-9-]/.test(s[i])) i++;
        const value = s.slice(st, i);
        if (!/^-?\d+$/.test(value)) throw new SelectorError(`for 'gt', 'lt' operators, the value must be an integer, got '${value || s.slice(i) || 'end of string'}'`);
        out.push({ key, op, value });
      } else if (s.startsWith('==', i) || s.startsWith('!=', i) || s[i] === '=') {
        const op = s.startsWith('!=', i) ? '!=' : '=';
        i += s.startsWith('==', i) || s.startsWith('!=', i) ? 2 : 1;
        ws();
        const st = i;
        while (i < s.length && /[A-Za-z0-9_.\-]/.test(s[i])) i++;
        out.push({ key, op, value: s.slice(st, i) });
      } else {
        const word = ident().toLowerCase();
        if (word !== 'in' && word !== 'notin')
          throw new SelectorError(`unable to parse requirement: found '${word || s.slice(i)}', expected: in, notin, =, ==, !=, gt, lt`);
        ws();
        if (s[i] !== '(') throw new SelectorError(`unable to parse requirement: found '${s.slice(i)}', expected: '('`);
        i++;
        const values: string[] = [];
        while (true) {
          ws();
          const st = i;
          while (i < s.length && /[A-Za-z0-9_.\-]/.test(s[i])) i++;
          values.push(s.slice(st, i));
          ws();
          if (s[i] === ',') {
            i++;
            continue;
          }
          if (s[i] === ')') {
            i++;
            break;
          }
          throw new SelectorError(`unable to parse requirement: found '${s.slice(i) || 'end of string'}', expected: ',' or ')'`);
        }
        out.push({ key, op: word, values });
      }
    }
    ws();
    if (i < s.length) {
      if (s[i] !== ',') throw new SelectorError(`found '${s[i]}', expected: ',' or 'end of string'`);
      i++;
    }
  }
  return out;
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of reqs) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=':
        if (!has || v !== r.value) return false;
        break;
      case '!=':
        if (has && v === r.value) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v)) return false;
        break;
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v)) return false;
        const a = BigInt(v);
        const b = BigInt(r.value);
        if (r.op === 'gt' ? a <= b : a >= b) return false;
        break;
      }
    }
  }
  return true;
}

/** A metav1.LabelSelector ({matchLabels, matchExpressions}) as requirements. */
export function labelSelectorRequirements(sel: {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}): LabelRequirement[] {
  const out: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) out.push({ key: k, op: '=', value: v });
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator;
    if (op === 'In') out.push({ key: e.key, op: 'in', values: e.values ?? [] });
    else if (op === 'NotIn') out.push({ key: e.key, op: 'notin', values: e.values ?? [] });
    else if (op === 'Exists') out.push({ key: e.key, op: 'exists' });
    else if (op === 'DoesNotExist') out.push({ key: e.key, op: '!' });
    else throw new SelectorError(`"${op}" is not a valid label selector operator`);
  }
  return out;
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Parses "metadata.name=x,status.phase!=Running". */
export function parseFieldSelector(sel: string): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  for (const raw of sel.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = /^([^=!]+?)\s*(==|!=|=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${part}'; can't understand '${part}'`);
    out.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return out;
}
