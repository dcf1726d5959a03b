/**
 * @flotilla/lua — a sandboxed Lua 5.4 runner over wasmoon (the reference Lua compiled to wasm),
 * with Argo CD's conventions: globals go in as plain JSON-like values (`obj` for health/actions),
 * the script's first return value comes back as one (`hs`, the modified object, the action table).
 *
 * Safety: without `openLibs` the script sees Argo CD's sandbox (base functions minus load/dofile/
 * loadfile, `table`, a safe `os` with time/date/clock/difftime, `require("os")` only); with it,
 * every standard library. A wall-clock deadline (instruction-count hook) and a memory bound (the
 * allocator refuses past it) stop infinite loops and unbounded allocation with a LuaError.
 * Engines are pooled and compiled chunks cached, so running one script over 10,000 objects is fast.
 */
import { LuaFactory, type LuaEngine } from 'wasmoon';
import { PRELUDE } from './prelude.js';
import { toLuaLiteral } from './literal.js';

export { toLuaLiteral, luaString } from './literal.js';

export interface LuaOptions {
  /** Global variables for the script, JSON-like (objects, arrays, strings, numbers, booleans, null). */
  globals?: Record<string, unknown>;
  /** Wall-clock budget for one run (default 1000 ms). */
  timeoutMs?: number;
  /** Memory the run may allocate on top of the engine's baseline (default 32 MiB). */
  memoryBytes?: number;
  /** Argo CD's `useOpenLibs`: every standard library instead of the sandbox. */
  openLibs?: boolean;
  /** Name used in error messages (`health.lua:3: …`). */
  chunkName?: string;
  /** Receives each `print(...)` line (otherwise prints are discarded). */
  onPrint?: (line: string) => void;
}

export type LuaErrorKind = 'syntax' | 'runtime' | 'timeout' | 'memory' | 'input' | 'output';

export class LuaError extends Error {
  constructor(
    message: string,
    readonly kind: LuaErrorKind,
  ) {
    super(message);
    this.name = 'LuaError';
  }
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_BYTES = 32 * 1024 * 1024;
const TIMEOUT_MARK = '\u0001flotilla-timeout';
const SYNTAX_MARK = '\u0002flotilla-syntax\u0002';
const LUA_OK = 0;
const LUA_ERRMEM = 4;
const HOOK_COUNT_MASK = 8;
const HOOK_EVERY = 1000;
const MAX_CACHED_CHUNKS = 256;

let factory: LuaFactory | undefined;

/** One Lua state with the prelude loaded; used by one run at a time. */
class Engine {
  private deadline = 0;
  timedOut = false;
  private readonly hook: number;
  broken = false;
  private cleanBaseline = 0;

  private constructor(readonly engine: LuaEngine) {
    const lua = engine.global.lua;
    this.hook = lua.module.addFunction((L: number) => {
      if (this.timedOut || Date.now() > this.deadline) {
        // from now on every instruction fails, so a pcall in a loop cannot swallow the timeout
        if (!this.timedOut) lua.lua_sethook(L, this.hook, HOOK_COUNT_MASK, 1);
        this.timedOut = true;
        lua.lua_pushstring(L, TIMEOUT_MARK);
        lua.lua_error(L);
      }
    }, 'vii');
  }

  private chunks = new Map<string, number>();
  private nextChunk = 1;

  private resetChunks(): void {
    const g = this.engine.global;
    const top = g.lua.lua_gettop(g.address);
    g.lua.lua_getglobal(g.address, '__flotilla_reset_cache');
    g.lua.lua_pcallk(g.address, 0, 0, 0, 0, null);
    g.lua.lua_settop(g.address, top);
    this.chunks.clear();
  }

  /** A full garbage collection; remembers the heap size after it. */
  collect(): void {
    const g = this.engine.global;
    const L = g.address;
    const top = g.lua.lua_gettop(L);
    g.lua.lua_getglobal(L, '__flotilla_gc');
    g.lua.lua_pcallk(L, 0, 0, 0, 0, null);
    g.lua.lua_settop(L, top);
    this.cleanBaseline = g.getMemoryUsed();
  }

  static async create(): Promise<Engine> {
    factory ??= new LuaFactory();
    const engine = await factory.createEngine({ openStandardLibs: true, traceAllocations: true, injectObjects: false, enableProxy: false });
    const e = new Engine(engine);
    engine.doStringSync(PRELUDE);
    e.collect();
    return e;
  }

  run(script: string, input: string, opts: Required<Pick<LuaOptions, 'timeoutMs' | 'memoryBytes' | 'openLibs' | 'chunkName'>> & { capturePrints: boolean }): { json: string; prints?: string } {
    const g = this.engine.global;
    const lua = g.lua;
    const L = g.address;
    const top = lua.lua_gettop(L);
    g.setMemoryMax(undefined);
    // garbage of earlier runs would count against (and then make room for) this one's bound
    if (g.getMemoryUsed() - this.cleanBaseline > Math.min(opts.memoryBytes / 8, 4 * 1024 * 1024)) this.collect();
    const baseline = g.getMemoryUsed();
    this.timedOut = false;
    try {
      const key = `${opts.chunkName}\0${script}`;
      let id = this.chunks.get(key);
      const known = id !== undefined;
      if (id === undefined) {
        if (this.chunks.size >= MAX_CACHED_CHUNKS) this.resetChunks();
        id = this.nextChunk++;
        this.chunks.set(key, id);
      }
      lua.lua_getglobal(L, '__flotilla_run');
      lua.lua_pushnumber(L, id);
      if (known) lua.lua_pushnil(L);
      else pushString(lua, L, script);
      pushString(lua, L, input);
      lua.lua_pushboolean(L, opts.openLibs ? 1 : 0);
      pushString(lua, L, opts.chunkName);
      lua.lua_pushnumber(L, opts.timeoutMs / 1000);
      lua.lua_pushboolean(L, opts.capturePrints ? 1 : 0);
      g.setMemoryMax(baseline + opts.memoryBytes);
      this.deadline = Date.now() + opts.timeoutMs;
      lua.lua_sethook(L, this.hook, HOOK_COUNT_MASK, HOOK_EVERY);
      let rc: number;
      try {
        rc = lua.lua_pcallk(L, 7, 2, 0, 0, null);
      } catch (e) {
        // the VM itself failed (a wasm trap): this engine cannot be trusted any more
        this.broken = true;
        throw new LuaError(`${opts.chunkName}: the Lua VM failed: ${(e as Error).message}`, 'runtime');
      }
      lua.lua_sethook(L, null as unknown as number, 0, 0);
      g.setMemoryMax(undefined);
      if (rc !== LUA_OK) {
        if (!known) this.chunks.delete(key); // it may not have compiled: send the source again next time
        const msg = lua.lua_type(L, -1) === 4 ? String(lua.lua_tolstring(L, -1, null)) : `a ${lua.lua_typename(L, lua.lua_type(L, -1))} error value`;
        if (this.timedOut || msg.includes(TIMEOUT_MARK) || msg.includes('lua script timeout exceeded')) {
          this.broken = true;
          throw new LuaError(`${opts.chunkName}: lua script timeout exceeded (ran longer than ${opts.timeoutMs} ms)`, 'timeout');
        }
        if (rc === LUA_ERRMEM || /not enough memory/.test(msg)) {
          this.broken = true;
          throw new LuaError(`${opts.chunkName}: lua script exceeded its memory limit of ${opts.memoryBytes} bytes`, 'memory');
        }
        if (msg.startsWith('cannot pass the globals')) throw new LuaError(msg, 'input');
        if (msg.startsWith("cannot convert the script's result")) throw new LuaError(`${opts.chunkName}: ${msg}`, 'output');
        if (msg.startsWith(SYNTAX_MARK)) throw new LuaError(msg.slice(SYNTAX_MARK.length), 'syntax');
        throw new LuaError(msg, 'runtime');
      }
      const json = String(lua.lua_tolstring(L, -2, null));
      const prints = lua.lua_type(L, -1) === 4 ? String(lua.lua_tolstring(L, -1, null)) : undefined;
      return { json, prints };
    } finally {
      try {
        lua.lua_sethook(L, null as unknown as number, 0, 0);
        g.setMemoryMax(undefined);
        lua.lua_settop(L, top);
      } catch {
        this.broken = true;
      }
    }
  }

  close(): void {
    try {
      this.engine.global.lua.module.removeFunction(this.hook);
      this.engine.global.close();
    } catch {
      /* already closed */
    }
  }
}

function pushString(lua: LuaEngine['global']['lua'], L: number, s: string): void {
  lua.lua_pushlstring(L, s, lua.module.lengthBytesUTF8(s));
}

/** A pool of engines: runs take an idle engine (or make one), give it back afterwards. */
export class LuaPool {
  private idle: Engine[] = [];
  private creating = 0;

  constructor(readonly maxIdle = 4) {}

  async run(script: string, opts: LuaOptions = {}): Promise<unknown> {
    if (typeof script !== 'string') throw new LuaError('the Lua script is not a string', 'input');
    if (script.includes('\0')) throw new LuaError('the Lua script contains a NUL byte', 'input');
    let input: string;
    try {
      input = toLuaLiteral(opts.globals ?? {});
    } catch (e) {
      throw new LuaError((e as Error).message, 'input');
    }
    const engine = this.idle.pop() ?? (await this.make());
    try {
      const out = engine.run(script, input, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        memoryBytes: opts.memoryBytes ?? DEFAULT_MEMORY_BYTES,
        openLibs: opts.openLibs ?? false,
        chunkName: opts.chunkName ?? 'script.lua',
        capturePrints: !!opts.onPrint,
      });
      if (opts.onPrint && out.prints) for (const line of JSON.parse(out.prints) as string[]) opts.onPrint(line);
      const value = JSON.parse(out.json) as unknown;
      return value === null ? undefined : value;
    } finally {
      if (engine.broken) engine.close();
      else if (this.idle.length < this.maxIdle) this.idle.push(engine);
      else engine.close();
    }
  }

  private async make(): Promise<Engine> {
    this.creating++;
    try {
      return await Engine.create();
    } finally {
      this.creating--;
    }
  }

  /** Frees every idle engine. */
  close(): void {
    for (const e of this.idle.splice(0)) e.close();
  }
}

const defaultPool = new LuaPool();

/**
 * Runs `script` with `globals` and returns its first return value as a JSON-like value
 * (undefined for nil). Throws LuaError (kind syntax|runtime|timeout|memory|input|output).
 */
export function runLua(script: string, opts: LuaOptions = {}): Promise<unknown> {
  return defaultPool.run(script, opts);
}
