/** HTTP plumbing: reading bodies with limits, decoding JSON/YAML, writing JSON and Status. */
import { parseJson, stringify, unbigSafe, yamlMaybeBig } from './json-int.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { ApiError, badRequest, tooLarge } from './errors.js';
import { decodeProtobuf } from './protobuf.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/**
 * How deep objects and arrays of a request body may nest. Decoding and every later step (defaults,
 * validation, patches) walk objects recursively, so deeper bodies are refused up front with a 400
 * instead of overflowing the stack (no real manifest comes near it; docs/security.md).
 */
export const MAX_NESTING_DEPTH = 1000;

/**
 * The deepest nesting of `[`/`{` in a JSON (or flow-style YAML) text, found without recursion.
 * Brackets inside strings do not count: JSON and YAML double-quoted strings (with `\` escapes),
 * and for YAML also single-quoted strings (`''` escapes) and comments.
 */
export function nestingDepth(text: string, yaml = false): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (yaml && c === 0x27 /* ' */ && (i === 0 || /[\s\[{,:-]/.test(text[i - 1]))) {
      for (i++; i < text.length; i++) {
        if (text.charCodeAt(i) === 0x27) {
          if (text.charCodeAt(i + 1) === 0x27) i++;
          else break;
        }
      }
    } else if (yaml && c === 0x23 /* # */ && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
  }
  return max;
}

/** How many aliases a YAML body may use (each one is expanded when the value is built). */
export const MAX_YAML_ALIASES = 100;

/**
 * The size, in bytes of source text, that a YAML document's value reaches once every alias is
 * expanded, computed from the parsed nodes before the value is built (anchors' sizes memoised, so
 * aliases of aliases count as often as they would be copied). Stops counting past `limit`.
 */
export function expandedYamlSize(doc: YAML.Document, sourceLength: number, limit = Infinity): number {
  const aliases: YAML.Alias[] = [];
  YAML.visit(doc, { Alias: (_k, a) => void aliases.push(a) });
  if (aliases.length > MAX_YAML_ALIASES) return Infinity;
  const memo = new Map<unknown, number>();
  const sizeOf = (node: YAML.Node): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    memo.set(node, Infinity); // an anchor that contains an alias of itself never ends
    let size = node.range ? node.range[1] - node.range[0] : 0;
    YAML.visit(node, {
      Alias: (_k, a) => {
        const t = a.resolve(doc);
        if (t) size += sizeOf(t);
        return size > limit ? YAML.visit.BREAK : undefined;
      },
    });
    memo.set(node, size);
    return size;
  };
  let total = sourceLength;
  for (const a of aliases) {
    const t = a.resolve(doc);
    if (t) total += sizeOf(t);
    if (total > limit) break;
  }
  return total;
}

function checkNesting(text: string, yaml: boolean): void {
  const depth = nestingDepth(text, yaml);
  if (depth > MAX_NESTING_DEPTH) {
    throw badRequest(`the body of the request could not be decoded as ${yaml ? 'YAML' : 'JSON'}: exceeded max depth of ${MAX_NESTING_DEPTH} nested objects and arrays`);
  }
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        failed = true;
        reject(tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** Decodes a request body by content type; errors say what was wrong and where. */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  const ct = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (ct === 'application/vnd.kubernetes.protobuf') return decodeProtobuf(buf);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty: an object was expected');
  if (ct.includes('yaml')) {
    checkNesting(text, true);
    // integers beyond 2^53 are kept exactly (as bigint) when the text may hold one
    const big = yamlMaybeBig(text);
    const docs = YAML.parseAllDocuments(text, { prettyErrors: true, intAsBigInt: big });
    if (docs.length === 0) throw badRequest('the request body is empty: an object was expected');
    const doc = docs[0];
    if (doc.errors.length) {
      const e = doc.errors[0];
      throw badRequest(`error converting YAML to JSON: yaml: line ${(e.linePos?.[0]?.line ?? 0)}: ${e.message.split('\n')[0]}`);
    }
    if (docs.length > 1) throw badRequest('the request body holds more than one YAML document: exactly one object was expected');
    // aliases are expanded when the value is built: refuse a body that would grow past the body
    // limit that way (a few aliases of a large anchor), before building it
    const expanded = expandedYamlSize(doc, text.length, MAX_BODY_BYTES);
    if (expanded > MAX_BODY_BYTES) {
      throw tooLarge(
        Number.isFinite(expanded)
          ? `Request entity too large: the YAML body expands through its aliases to more than ${MAX_BODY_BYTES} bytes`
          : `Request entity too large: the YAML body uses more than ${MAX_YAML_ALIASES} aliases (or an alias of itself)`,
      );
    }
    const v = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
    return big ? unbigSafe(v) : v;
  }
  if (ct === 'application/json' || ct.endsWith('+json') || ct === '*/*' || ct === '') {
    checkNesting(text, false);
    try {
      return parseJson(text);
    } catch (e) {
      const msg = (e as Error).message;
      throw badRequest(`the body of the request could not be decoded as JSON: ${msg}`);
    }
  }
  if (ct.includes('protobuf')) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format ("${ct}") - accepted media types include: application/json, application/yaml`);
}

export function sendJson(res: ServerResponse, code: number, body: unknown | string, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', `Internal error occurred: ${(e as Error)?.message ?? String(e)}`);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.code, err.toStatus());
}

/** Warning header values for unknown fields etc. */
export function warningHeader(warnings: string[]): Record<string, string> {
  if (!warnings.length) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}
