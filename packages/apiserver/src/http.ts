/** HTTP plumbing: reading bodies with limits, decoding JSON/YAML, writing JSON and Status. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { ApiError, badRequest, tooLarge } from './errors.js';
import { decodeProtobuf } from './protobuf.js';

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

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
    const docs = YAML.parseAllDocuments(text, { prettyErrors: true });
    if (docs.length === 0) throw badRequest('the request body is empty: an object was expected');
    const doc = docs[0];
    if (doc.errors.length) {
      const e = doc.errors[0];
      throw badRequest(`error converting YAML to JSON: yaml: line ${(e.linePos?.[0]?.line ?? 0)}: ${e.message.split('\n')[0]}`);
    }
    if (docs.length > 1) throw badRequest('the request body holds more than one YAML document: exactly one object was expected');
    return doc.toJS({ maxAliasCount: 100 });
  }
  if (ct === 'application/json' || ct.endsWith('+json') || ct === '*/*' || ct === '') {
    try {
      return JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      throw badRequest(`the body of the request could not be decoded as JSON: ${msg}`);
    }
  }
  if (ct.includes('protobuf')) throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
  throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format ("${ct}") - accepted media types include: application/json, application/yaml`);
}

export function sendJson(res: ServerResponse, code: number, body: unknown | string, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
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
