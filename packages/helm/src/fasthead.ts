// A fast reader for the head of a rendered manifest (kind, apiVersion, metadata.annotations).
//
// Every rendered document must be checked to be YAML and classified by kind and hook annotation.
// A full YAML parser is slow on large charts, so this scanner handles the block-style subset that
// templates produce almost always: block mappings and sequences (including sequences not
// indented under a key), plain scalars (also continued on following lines), single-line quoted
// scalars, single-line flow collections, block scalars (| and >) and comments. It validates the
// structure as it goes. Whenever it meets anything else — anchors, aliases, tags, multi-line
// quoted or flow scalars, document markers, tabs in indentation, or anything that looks wrong —
// it answers `undefined`, and the caller falls back to the full parser (which also produces the
// exact error message). So a document it accepts is valid YAML, and its head is read exactly.
import { resolvesToNonString } from './yaml.js';

export interface FastHead {
  kind: string;
  apiVersion: string;
  annotations: Record<string, string>;
}

class Unsure extends Error {}
const UNSURE = new Unsure();

interface Ctx {
  kind: 'map' | 'seq';
  indent: number;
  /** a sequence sharing its parent mapping's indentation */
  indentless?: boolean;
  /** head tracking: which map this is */
  role?: 'root' | 'metadata' | 'annotations';
}

interface Scalar {
  /** decoded text, undefined when the scalar is not a plain string we can decode */
  text: string | undefined;
  plain: boolean;
  /** a block scalar (| or >): a string whose text we do not decode */
  block?: boolean;
}

const KEY_START_BAD = new Set(['-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '%', '@', '`']);
const VALUE_START_BAD = new Set(['&', '*', '!', '%', '@', '`', ',', ']', '}']);

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t';
}

/** Index of the end of a double-quoted scalar starting at s[i] === '"', or -1. */
function endDouble(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') return j;
  }
  return -1;
}
function endSingle(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "'") {
      if (s[j + 1] === "'") j++;
      else return j;
    }
  }
  return -1;
}

function decodeDouble(body: string): string | undefined {
  if (!body.includes('\\')) return body;
  const simple: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', r: '\r', '0': '\0', ' ': ' ' };
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === undefined || !(e in simple)) return undefined;
    out += simple[e];
  }
  return out;
}

/** Checks that only spaces or a comment follow position i. */
function restIsEmpty(s: string, i: number): boolean {
  let j = i;
  while (j < s.length && isSpace(s[j])) j++;
  if (j === s.length) return true;
  return s[j] === '#' && j > i;
}

/** Validates a single-line flow collection starting at s[i]; returns the index after it. */
function flowEnd(s: string, i: number): number {
  const stack: string[] = [];
  // per nesting level: value indicators in the current entry, and whether the entry is empty
  const colons: number[] = [];
  const empty: boolean[] = [];
  let j = i;
  const mark = () => {
    if (empty.length) empty[empty.length - 1] = false;
  };
  while (j < s.length) {
    const c = s[j]!;
    if (c === '[' || c === '{') {
      mark();
      stack.push(c === '[' ? ']' : '}');
      colons.push(0);
      empty.push(true);
      j++;
      continue;
    } else if (c === ']' || c === '}') {
      if (stack.pop() !== c) throw UNSURE;
      colons.pop();
      empty.pop();
      j++;
      if (stack.length === 0) return j;
      continue;
    } else if (c === ',') {
      if (empty[empty.length - 1]) throw UNSURE; // an empty entry
      colons[colons.length - 1] = 0;
      empty[empty.length - 1] = true;
      j++;
      continue;
    } else if (c === ':') {
      if (++colons[colons.length - 1]! > 1) throw UNSURE;
      mark();
      j++;
      continue;
    } else if (c !== ' ') mark();
    if (c === '"' || c === "'") {
      const e = c === '"' ? endDouble(s, j) : endSingle(s, j);
      if (e < 0) throw UNSURE;
      j = e + 1;
      let k = j;
      while (s[k] === ' ') k++;
      if (!',]}:'.includes(s[k] ?? 'x')) throw UNSURE;
    } else if (c === ' ') {
      j++;
    } else if (c === '#') {
      if (isSpace(s[j - 1])) throw UNSURE;
      j++;
    } else if (c === '&' || c === '*' || c === '!' || c === '?' || c === '|' || c === '>' || c === '@' || c === '`' || c === '%') {
      // only a problem at the start of a plain scalar
      const prev = s[j - 1];
      if (prev === '[' || prev === '{' || prev === ',' || prev === ' ' || prev === ':') throw UNSURE;
      j++;
    } else {
      // a plain scalar: runs to a flow indicator or ": " / " #"
      while (j < s.length) {
        const d = s[j]!;
        if (d === ',' || d === '[' || d === ']' || d === '{' || d === '}') break;
        if (d === ':' && (s[j + 1] === ' ' || s[j + 1] === ',' || s[j + 1] === ']' || s[j + 1] === '}' || s[j + 1] === undefined)) break;
        if (d === '#' && isSpace(s[j - 1])) throw UNSURE;
        if (d === '"' || d === "'") {
          // a quote inside a plain scalar is fine, but keep it simple
          throw UNSURE;
        }
        j++;
      }
    }
  }
  throw UNSURE; // not closed on this line
}

export function scanHead(doc: string): FastHead | undefined {
  try {
    return scan(doc);
  } catch (e) {
    if (e === UNSURE) return undefined;
    throw e;
  }
}

function scan(doc: string): FastHead {
  const head: FastHead = { kind: '', apiVersion: '', annotations: {} };
  const lines = doc.split('\n');
  const stack: Ctx[] = [];
  const st: {
    /** a key or dash whose value is on the following lines */
    pending: { indent: number; mapValue: boolean; role?: Ctx['role']; ownerRole?: Ctx['role'] } | null;
    /** a block scalar being read */
    block: { parent: number; indent: number } | null;
    /** a plain scalar that may continue on more indented lines */
    plainCont: { minIndent: number; head: boolean } | null;
  } = { pending: null, block: null, plainCont: null };
  let rootSeen = false;

  const handleValue = (rest: string, ctxIndent: number, mapValue: boolean, role: Ctx['role'] | undefined, key: string | undefined, owner: Ctx | undefined): void => {
    // rest: text after "key:" or "-" (leading spaces removed)
    st.plainCont = null;
    if (rest === '' || rest[0] === '#') {
      st.pending = { indent: ctxIndent, mapValue, role, ownerRole: owner?.role };
      return;
    }
    if (role) throw UNSURE; // metadata/annotations given inline: let the full parser read them
    const c = rest[0]!;
    let sc: Scalar;
    if (c === '|' || c === '>') {
      const m = /^[|>]([1-9]?[-+]?|[-+][1-9]?)(\s+#.*|\s*)$/.exec(rest);
      if (!m) throw UNSURE;
      const explicit = /[1-9]/.exec(m[1]!);
      if (explicit && !mapValue) throw UNSURE;
      st.block = { parent: ctxIndent, indent: explicit ? ctxIndent + Number(explicit[0]) : -1 };
      sc = { text: undefined, plain: false, block: true };
    } else if (c === '"') {
      const e = endDouble(rest, 0);
      if (e < 0 || !restIsEmpty(rest, e + 1)) throw UNSURE;
      sc = { text: decodeDouble(rest.slice(1, e)), plain: false };
    } else if (c === "'") {
      const e = endSingle(rest, 0);
      if (e < 0 || !restIsEmpty(rest, e + 1)) throw UNSURE;
      sc = { text: rest.slice(1, e).replace(/''/g, "'"), plain: false };
    } else if (c === '[' || c === '{') {
      const e = flowEnd(rest, 0);
      if (!restIsEmpty(rest, e)) throw UNSURE;
      sc = { text: undefined, plain: false };
    } else {
      if (VALUE_START_BAD.has(c)) throw UNSURE;
      if ((c === '-' || c === '?' || c === ':') && (rest.length === 1 || isSpace(rest[1]))) throw UNSURE;
      let end = rest.length;
      const hash = rest.search(/[ \t]#/);
      if (hash >= 0) end = hash;
      const text = rest.slice(0, end).replace(/[ \t]+$/, '');
      if (/:([ \t]|$)/.test(text)) throw UNSURE; // "a: b: c"
      sc = { text, plain: true };
      const head = owner?.role === 'annotations' || (owner?.role === 'root' && (key === 'kind' || key === 'apiVersion'));
      st.plainCont = hash >= 0 ? null : { minIndent: ctxIndent + 1, head };
    }
    if (owner?.role && key !== undefined) record(owner.role, key, sc);
  };

  const record = (role: Ctx['role'], key: string, sc: Scalar) => {
    if (role === 'root') {
      if (key === 'kind' || key === 'apiVersion') {
        if (sc.text === undefined || (sc.plain && resolvesToNonString(sc.text))) throw UNSURE;
        head[key] = sc.text;
      } else if (key === 'metadata') {
        throw UNSURE; // metadata as a scalar: let the full parser complain
      }
    } else if (role === 'metadata') {
      if (key === 'annotations') throw UNSURE;
    } else if (role === 'annotations') {
      if (sc.text === undefined) {
        // a block scalar is a string (its text only matters for the hook annotation); a flow
        // collection is not a string: let the full parser report it
        if (!sc.block || key === 'helm.sh/hook') throw UNSURE;
        head.annotations[key] = '';
        return;
      }
      if (sc.plain && resolvesToNonString(sc.text)) throw UNSURE;
      head.annotations[key] = sc.text;
    }
  };

  const childRole = (parent: Ctx | undefined, key: string | undefined): Ctx['role'] | undefined => {
    if (!parent?.role || key === undefined) return undefined;
    if (parent.role === 'root' && key === 'metadata') return 'metadata';
    if (parent.role === 'metadata' && key === 'annotations') return 'annotations';
    return undefined;
  };

  /** Parses "key: rest" at position `at` of `line`; returns [key, rest]. */
  const splitKey = (content: string): [string, string] => {
    const c = content[0]!;
    let keyEnd: number;
    let key: string | undefined;
    if (c === '"' || c === "'") {
      const e = c === '"' ? endDouble(content, 0) : endSingle(content, 0);
      if (e < 0 || content[e + 1] !== ':') throw UNSURE;
      key = c === '"' ? decodeDouble(content.slice(1, e)) : content.slice(1, e).replace(/''/g, "'");
      if (key === undefined) throw UNSURE;
      keyEnd = e + 1;
    } else {
      if (KEY_START_BAD.has(c)) throw UNSURE;
      const m = /:([ \t]|$)/.exec(content);
      if (!m) throw UNSURE;
      keyEnd = m.index;
      key = content.slice(0, keyEnd);
      if (/[ \t]#/.test(key)) throw UNSURE;
      key = key.replace(/[ \t]+$/, '');
    }
    if (content[keyEnd] !== ':' || !(keyEnd + 1 === content.length || isSpace(content[keyEnd + 1]))) throw UNSURE;
    return [key, content.slice(keyEnd + 1).replace(/^[ \t]+/, '')];
  };


  const keyLine = (map: Ctx, content: string) => {
    const [key, rest] = splitKey(content);
    handleValue(rest, map.indent, true, childRole(map, key), key, map);
  };

  const dashLine = (seq: Ctx, content: string) => {
    // content starts with "-" followed by space or end
    let j = 1;
    while (j < content.length && content[j] === ' ') j++;
    if (content[j] === '\t') throw UNSURE;
    const rest = content.slice(j);
    const col = seq.indent + j;
    if (rest === '' || rest[0] === '#') {
      st.pending = { indent: seq.indent, mapValue: false };
      return;
    }
    if (rest[0] === '-' && (rest.length === 1 || rest[1] === ' ')) {
      const inner: Ctx = { kind: 'seq', indent: col };
      stack.push(inner);
      dashLine(inner, rest);
      return;
    }
    if (looksLikeKey(rest)) {
      const m: Ctx = { kind: 'map', indent: col };
      stack.push(m);
      keyLine(m, rest);
      return;
    }
    handleValue(rest, seq.indent, false, undefined, undefined, undefined);
  };

  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    let indent = 0;
    while (indent < line.length && line[indent] === ' ') indent++;
    const content = line.slice(indent);
    const blank = content === '' || /^[ \t]*$/.test(content);

    if (st.block) {
      if (blank) continue;
      if (st.block.indent < 0) {
        if (indent <= st.block.parent) st.block = null;
        else {
          st.block.indent = indent;
          continue;
        }
      } else if (indent >= st.block.indent) continue;
      else st.block = null;
      // the block has ended; fall through with this line
    }
    if (blank || content[0] === '#') {
      if (content[0] === '#') st.plainCont = null;
      continue;
    }
    if (content[0] === '\t' || line.includes('\t') && /^[ ]*\t/.test(line)) throw UNSURE;
    if (st.plainCont) {
      if (indent >= st.plainCont.minIndent) {
        if (/:([ \t]|$)/.test(content) || /[ \t]#/.test(content) || content.startsWith('- ') || content === '-') throw UNSURE;
        if (st.plainCont.head) throw UNSURE;
        continue;
      }
      st.plainCont = null;
    }
    if (indent === 0 && (content.startsWith('---') || content.startsWith('...')) && (content.length === 3 || isSpace(content[3]))) throw UNSURE;

    const isDash = content[0] === '-' && (content.length === 1 || content[1] === ' ');

    if (st.pending) {
      const p: { indent: number; mapValue: boolean; role?: Ctx['role']; ownerRole?: Ctx['role'] } = st.pending;
      st.pending = null;
      if (indent > p.indent) {
        if (isDash) {
          if (p.role) throw UNSURE;
          const s: Ctx = { kind: 'seq', indent };
          stack.push(s);
          dashLine(s, content);
        } else if (looksLikeKey(content)) {
          const m: Ctx = { kind: 'map', indent };
          if (p.role) m.role = p.role;
          stack.push(m);
          keyLine(m, content);
        } else {
          // a scalar or flow collection on its own, more indented line
          if (p.role || p.ownerRole) throw UNSURE;
          handleValue(content, p.indent, p.mapValue, undefined, undefined, undefined);
        }
        continue;
      }
      if (indent === p.indent && p.mapValue && isDash) {
        if (p.role) throw UNSURE;
        const s: Ctx = { kind: 'seq', indent, indentless: true };
        stack.push(s);
        dashLine(s, content);
        continue;
      }
      // the pending value was empty (null)
      if (p.role === 'metadata' || p.role === 'annotations') {
        // "metadata:" / "annotations:" with a null value: fine
      }
    }

    if (!rootSeen) {
      if (indent !== 0) throw UNSURE;
      rootSeen = true;
      if (looksLikeKey(content) && !isDash) {
        const m: Ctx = { kind: 'map', indent: 0, role: 'root' };
        stack.push(m);
        keyLine(m, content);
      } else throw UNSURE;
      continue;
    }

    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) throw UNSURE;
      if (top.indent > indent) {
        stack.pop();
        continue;
      }
      if (top.indent < indent) throw UNSURE;
      if (top.kind === 'seq') {
        if (isDash) {
          dashLine(top, content);
          break;
        }
        if (top.indentless) {
          stack.pop();
          continue;
        }
        throw UNSURE;
      }
      if (isDash) throw UNSURE;
      keyLine(top, content);
      break;
    }
  }
  return head;
}

function looksLikeKey(content: string): boolean {
  const c = content[0];
  if (c === '[' || c === '{' || c === '|' || c === '>') return false;
  if (c === '"' || c === "'") {
    const e = c === '"' ? endDouble(content, 0) : endSingle(content, 0);
    return e > 0 && content[e + 1] === ':';
  }
  return /:([ \t]|$)/.test(content);
}
