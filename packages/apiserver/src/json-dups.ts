/**
 * Duplicate keys in a JSON text (JSON.parse keeps the last one silently). Kubernetes refuses them
 * under fieldValidation=Strict and warns otherwise. A single pass without recursion: deep nesting
 * costs a stack array, never the call stack. Paths read like Kubernetes': "spec.containers[0].name".
 */
import { badRequest } from './errors.js';
import type { WriteOptions } from './objects.js';

export function duplicateFields(text: string, max = 20): string[] {
  const out: string[] = [];
  const stack: { keys?: Set<string>; path: string; key: string; idx: number; expectKey: boolean }[] = [];
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.keys) return top.path ? `${top.path}.${top.key}` : top.key;
    return `${top.path}[${top.idx}]`;
  };
  const n = text.length;
  for (let i = 0; i < n && out.length < max; i++) {
    const ch = text[i];
    if (ch === '{') stack.push({ keys: new Set(), path: childPath(), key: '', idx: 0, expectKey: true });
    else if (ch === '[') stack.push({ path: childPath(), key: '', idx: 0, expectKey: false });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.idx++;
    } else if (ch === '"') {
      const start = i;
      for (i++; i < n && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          return out; // not valid JSON: the parser reports it
        }
        if (top.keys.has(key)) out.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    }
  }
  return out;
}

/** Duplicate JSON keys: 400 under fieldValidation=Strict, a Warning otherwise (Ignore: nothing). */
export function checkDuplicates(buf: Buffer, contentType: string | undefined, o: WriteOptions): void {
  if (o.fieldValidation === 'Ignore') return;
  const ct = (contentType ?? 'application/json').split(';')[0].trim().toLowerCase();
  if (ct.includes('yaml') || ct.includes('protobuf')) return;
  const dups = duplicateFields(buf.toString('utf8'));
  if (!dups.length) return;
  const msgs = dups.map((d) => `duplicate field ${JSON.stringify(d)}`);
  if (o.fieldValidation === 'Strict') throw badRequest(`strict decoding error: ${msgs.join(', ')}`);
  o.warnings.push(...msgs);
}
