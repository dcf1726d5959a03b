/** JSON Patch, RFC 6902, with RFC 6901 JSON Pointers. */
import { PatchError } from './errors.js';
import { deepClone, deepEqual, hasOwn, isObject, setOwn, typeName, type JsonObject } from './json.js';

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Splits an RFC 6901 pointer into unescaped reference tokens ("" → []). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer must be empty or start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => {
      if (/~(?![01])/.test(t)) throw new Error(`invalid escape in JSON pointer token "${t}"`);
      return t.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

type Container = JsonObject | unknown[];

function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new Error(`"${token}" is not a valid array index`);
  const i = Number(token);
  const max = forInsert ? length : length - 1;
  if (i > max) throw new Error(`array index ${i} is out of bounds (length ${length})`);
  return i;
}

/** Walks to the parent of the pointer's last token; throws when an intermediate value is missing. */
function resolveParent(doc: unknown, tokens: string[]): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i];
    if (Array.isArray(cur)) {
      cur = cur[arrayIndex(t, cur.length, false)];
    } else if (isObject(cur)) {
      if (!hasOwn(cur, t)) throw new Error(`path component "${t}" does not exist`);
      cur = cur[t];
    } else {
      throw new Error(`cannot traverse into ${typeName(cur)} at "${t}"`);
    }
  }
  if (!Array.isArray(cur) && !isObject(cur)) {
    throw new Error(`parent is a ${typeName(cur)}, not an object or array`);
  }
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)];
  if (!hasOwn(parent, key)) throw new Error(`key "${key}" does not exist`);
  return parent[key];
}

/** Returns the new document (the root may be replaced). */
function addAt(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, value);
  else setOwn(parent, key, value);
  return doc;
}

function removeAt(doc: unknown, tokens: string[]): { doc: unknown; removed: unknown } {
  if (tokens.length === 0) throw new Error('cannot remove the whole document');
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) {
    const i = arrayIndex(key, parent.length, false);
    const [removed] = parent.splice(i, 1);
    return { doc, removed };
  }
  if (!hasOwn(parent, key)) throw new Error(`key "${key}" does not exist`);
  const removed = parent[key];
  delete parent[key];
  return { doc, removed };
}

function replaceAt(doc: unknown, tokens: string[], value: unknown): unknown {
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent[arrayIndex(key, parent.length, false)] = value;
  else {
    if (!hasOwn(parent, key)) throw new Error(`key "${key}" does not exist`);
    setOwn(parent, key, value);
  }
  return doc;
}

function stringField(op: JsonObject, name: string, index: number): string {
  const v = op[name];
  if (typeof v !== 'string') {
    throw new PatchError(`json patch operation ${index} (${String(op.op)}): "${name}" must be a string`, 400);
  }
  return v;
}

/**
 * Applies an RFC 6902 JSON patch to a copy of `target`. Throws PatchError naming the failing
 * operation's index and path. The input is never mutated.
 */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new PatchError(`json patch must be an array of operations, got ${typeName(ops)}`, 400);
  }
  let doc = deepClone(target);
  ops.forEach((raw, index) => {
    if (!isObject(raw)) {
      throw new PatchError(`json patch operation ${index} must be an object, got ${typeName(raw)}`, 400);
    }
    const op = raw.op;
    if (typeof op !== 'string' || !OPS.has(op)) {
      throw new PatchError(`json patch operation ${index}: unsupported op ${JSON.stringify(op ?? null)}`, 400);
    }
    const path = stringField(raw, 'path', index);
    let tokens: string[];
    let fromTokens: string[] = [];
    let from = '';
    try {
      tokens = parsePointer(path);
      if (op === 'move' || op === 'copy') {
        from = stringField(raw, 'from', index);
        fromTokens = parsePointer(from);
      }
    } catch (e) {
      if (e instanceof PatchError) throw e;
      throw new PatchError(`json patch operation ${index} (${op}) path "${path}": ${(e as Error).message}`, 400);
    }
    if ((op === 'add' || op === 'replace' || op === 'test') && !hasOwn(raw, 'value')) {
      throw new PatchError(`json patch operation ${index} (${op}) path "${path}": missing "value"`, 400);
    }
    try {
      switch (op) {
        case 'add':
          doc = addAt(doc, tokens, deepClone(raw.value));
          break;
        case 'remove':
          doc = removeAt(doc, tokens).doc;
          break;
        case 'replace':
          doc = replaceAt(doc, tokens, deepClone(raw.value));
          break;
        case 'move': {
          if (tokens.length > fromTokens.length && fromTokens.every((t, i) => tokens[i] === t)) {
            throw new Error(`cannot move "${from}" into its own child`);
          }
          if (from === path) break;
          const r = removeAt(doc, fromTokens);
          doc = addAt(r.doc, tokens, r.removed);
          break;
        }
        case 'copy':
          doc = addAt(doc, tokens, deepClone(getAt(doc, fromTokens)));
          break;
        case 'test': {
          const actual = getAt(doc, tokens);
          if (!deepEqual(actual, raw.value)) {
            throw new Error(`test failed: value is ${JSON.stringify(actual)}, expected ${JSON.stringify(raw.value)}`);
          }
          break;
        }
      }
    } catch (e) {
      if (e instanceof PatchError) throw e;
      const fromPart = op === 'move' || op === 'copy' ? ` from "${from}"` : '';
      throw new PatchError(`json patch operation ${index} (${op}) path "${path}"${fromPart}: ${(e as Error).message}`);
    }
  });
  return doc;
}
