/**
 * A small reader for the block YAML kubeconfig files are written in (mappings, sequences, scalars,
 * comments): it costs nothing to load, unlike a full YAML library (~10 MB of a component's memory).
 * Anything else throws `Unsupported`, and the caller hands the text to the `yaml` package.
 */
export type Y = string | number | boolean | null | Y[] | { [k: string]: Y };

export class Unsupported extends Error {}

function scalar(raw: string): Y {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new Unsupported('unterminated string');
    return JSON.parse(s);
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new Unsupported('unterminated string');
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('{') || s.startsWith('[')) {
    if (s === '{}') return {};
    if (s === '[]') return [];
    throw new Unsupported('flow collections');
  }
  if (s.startsWith('|') || s.startsWith('>') || s.startsWith('&') || s.startsWith('*') || s.startsWith('!')) throw new Unsupported(`YAML feature "${s[0]}"`);
  if (s === 'true') return true;
  if (s === 'false') return false;
  return s;
}

function stripComment(line: string): string {
  let q: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = undefined;
    } else if (c === '"' || c === "'") q = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i);
  }
  return line;
}

/** Block mappings and sequences of scalars — what kubeconfig files are made of. */
export function parseSimpleYaml(text: string): Y {
  const lines = text
    .split(/\r?\n/)
    .map((l) => stripComment(l).replace(/\s+$/, ''))
    .filter((l) => l.trim() !== '' && l.trim() !== '---');
  let i = 0;
  const indentOf = (l: string) => l.length - l.trimStart().length;

  function splitKey(s: string): [string, string] | undefined {
    let q: string | undefined;
    for (let j = 0; j < s.length; j++) {
      const c = s[j];
      if (q) {
        if (c === q) q = undefined;
      } else if (c === '"' || c === "'") q = c;
      else if (c === ':' && (j === s.length - 1 || s[j + 1] === ' ')) {
        const k = scalar(s.slice(0, j));
        return [String(k), s.slice(j + 1)];
      }
    }
    return undefined;
  }

  function block(indent: number): Y {
    if (i >= lines.length) return null;
    const first = lines[i];
    if (first.trimStart().startsWith('- ') || first.trim() === '-') return seq(indentOf(first));
    return map(indent);
  }

  function map(indent: number): Y {
    const out: Record<string, Y> = {};
    while (i < lines.length) {
      const l = lines[i];
      const ind = indentOf(l);
      if (ind < indent) break;
      if (ind > indent) throw new Unsupported(`unexpected indentation at "${l.trim()}"`);
      const kv = splitKey(l.trim());
      if (!kv) throw new Unsupported(`not a mapping entry: "${l.trim()}"`);
      i++;
      const [k, rest] = kv;
      if (rest.trim() === '') {
        if (i < lines.length && (indentOf(lines[i]) > ind || (indentOf(lines[i]) === ind && lines[i].trimStart().startsWith('- ')))) out[k] = block(indentOf(lines[i]));
        else out[k] = null;
      } else out[k] = scalar(rest);
    }
    return out;
  }

  function seq(indent: number): Y {
    const out: Y[] = [];
    while (i < lines.length) {
      const l = lines[i];
      const ind = indentOf(l);
      if (ind !== indent || !(l.trimStart().startsWith('- ') || l.trim() === '-')) break;
      const body = l.trimStart().slice(1);
      const inner = body.replace(/^\s+/, '');
      if (inner === '') {
        i++;
        out.push(i < lines.length && indentOf(lines[i]) > ind ? block(indentOf(lines[i])) : null);
        continue;
      }
      if (splitKey(inner)) {
        // "- key: value" starts a mapping whose indentation is the column of "key"
        const col = ind + 1 + (body.length - inner.length);
        lines[i] = ' '.repeat(col) + inner;
        out.push(map(col));
      } else {
        out.push(scalar(inner));
        i++;
      }
    }
    return out;
  }

  return block(0);
}

