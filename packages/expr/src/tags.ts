// Argo's expression template tags: `{{=expr}}` inside a string.
import { ExprError } from './errors.js';

export interface ExpressionTag {
  /** offset of `{{=` */
  start: number;
  /** offset just past `}}` */
  end: number;
  /** the expression between `{{=` and `}}` */
  body: string;
}

/** The {{=…}} tags of a string. Braces and quotes inside the expression are honoured, so `{{=filter(a, {# > 1})}}` is one tag. */
export function findExpressionTags(s: string): ExpressionTag[] {
  const out: ExpressionTag[] = [];
  let i = s.indexOf('{{=');
  while (i >= 0) {
    let j = i + 3;
    let depth = 0;
    let quote = '';
    for (; j < s.length; j++) {
      const c = s[j]!;
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
        continue;
      }
      if (c === '"' || c === "'" || c === '`') quote = c;
      else if (c === '{') depth++;
      else if (c === '}') {
        if (depth === 0 && s[j + 1] === '}') break;
        depth--;
      }
    }
    if (j >= s.length) throw new ExprError('unterminated expression tag: "{{=" without a matching "}}"', s, i);
    out.push({ start: i, end: j + 2, body: s.slice(i + 3, j) });
    i = s.indexOf('{{=', j + 2);
  }
  return out;
}

const UNRESOLVED = /^(unknown name|cannot fetch)/;

/**
 * Replaces every {{=…}} tag of `s` with `evaluate(body)` turned into a string by `toText`.
 * With allowUnresolved, a tag whose expression names something the env does not have yet is left as it is
 * (Argo resolves such tags in a later pass).
 */
export function replaceExpressionTags(
  s: string,
  evaluate: (body: string) => unknown,
  toText: (v: unknown) => string,
  opts: { allowUnresolved?: boolean } = {},
): string {
  const tags = findExpressionTags(s);
  if (tags.length === 0) return s;
  let out = '';
  let last = 0;
  for (const t of tags) {
    out += s.slice(last, t.start);
    let text: string;
    try {
      text = toText(evaluate(t.body));
    } catch (e) {
      if (opts.allowUnresolved && e instanceof ExprError && UNRESOLVED.test(e.reason)) text = s.slice(t.start, t.end);
      else throw e;
    }
    out += text;
    last = t.end;
  }
  return out + s.slice(last);
}
