/** Dependency transforms: jq (jqjs) or a Lua script over the event data (`event` global, returns the new data). */
import jq from '@michaelhomer/jqjs';
import { runLua } from '@flotilla/lua';

export class TransformError extends Error {}

const cache = new Map<string, (input: unknown) => Iterable<unknown>>();

export async function applyTransform(t: { jq?: string; script?: string } | undefined, data: unknown): Promise<unknown> {
  if (!t || (!t.jq && !t.script)) return data;
  if (t.jq) {
    let f = cache.get(t.jq);
    if (!f) {
      try {
        f = jq.compile(t.jq);
      } catch (e) {
        throw new TransformError(`jq transform ${JSON.stringify(t.jq)}: ${(e as Error).message}`);
      }
      cache.set(t.jq, f);
    }
    try {
      for (const out of f(structuredClone(data))) return out;
    } catch (e) {
      throw new TransformError(`jq transform ${JSON.stringify(t.jq)}: ${(e as Error).message}`);
    }
    throw new TransformError(`jq transform ${JSON.stringify(t.jq)} produced no output`);
  }
  try {
    const out = await runLua(t.script!, { globals: { event: data ?? {} }, chunkName: 'transform.lua' });
    if (out === undefined) throw new Error('the script returned nil');
    return out;
  } catch (e) {
    throw new TransformError(`Lua transform: ${(e as Error).message}`);
  }
}
