// @flotilla/lua against the real Lua VM (wasmoon): value conversion both ways, Argo CD's sandbox,
// useOpenLibs, timeouts, memory bounds, errors, prints, engine reuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runLua, LuaError, LuaPool, toLuaLiteral } from './index.js';

const kindOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof LuaError, String(e));
    return `${e.kind}: ${e.message}`;
  }
};

test('globals in and the returned value out as JSON-like values', async () => {
  const obj = { metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', end: 'keyword key' } }, spec: { replicas: 3, ratio: 0.25, paused: false, list: [1, 'two', { three: 3 }], empty: [], none: null, emptyMap: {} } };
  const out = await runLua('return obj', { globals: { obj } });
  assert.deepEqual(out, { metadata: obj.metadata, spec: { replicas: 3, ratio: 0.25, paused: false, list: [1, 'two', { three: 3 }], empty: [], emptyMap: {} } });
  assert.equal(await runLua('return obj.spec.list[2] .. #obj.spec.list', { globals: { obj } }), 'two3');
  assert.equal(await runLua('return obj.spec.none == nil', { globals: { obj } }), true);
  assert.deepEqual(await runLua('return {1, 2, 3}'), [1, 2, 3]);
  assert.deepEqual(await runLua('return {}'), {});
  assert.deepEqual(await runLua('return {[1]="a", [3]="c"}'), { '1': 'a', '3': 'c' });
  assert.equal(await runLua('return 6 / 2'), 3);
  assert.equal(await runLua('return 7 / 2'), 3.5);
  assert.equal(await runLua('return nil'), undefined);
  assert.equal(await runLua('local x = 1'), undefined);
  const s = 'quote " backslash \\ newline \n tab \t nul \u0000 bell \u0007 unicode é ✓ 😀 lone \ud800 end';
  assert.equal(await runLua('return s', { globals: { s } }), s.replace('\ud800', '\ufffd'));
  assert.equal(await runLua('return #s', { globals: { s: 'é' } }), 2, 'strings are UTF-8 bytes in Lua');
});

test('arrays emptied by a script come back as arrays; functions are dropped', async () => {
  const out = await runLua('obj.items[1] = nil obj.f = function() end return obj', { globals: { obj: { items: ['x'], keep: true } } });
  assert.deepEqual(out, { items: [], keep: true });
});

test('the sandbox without useOpenLibs: base functions, table, safe os, require("os") only', async () => {
  assert.equal(await runLua('return type(pairs) .. type(table.insert) .. type(os.time) .. type(os.date) .. type(os.clock)'), 'functionfunctionfunctionfunctionfunction');
  assert.equal(await runLua('local os = require("os") return type(os.time())'), 'number');
  for (const name of ['io', 'load', 'loadfile', 'dofile', 'string', 'math', 'debug', 'package', 'coroutine', 'collectgarbage']) {
    assert.equal(await runLua(`return ${name} == nil`), true, `${name} is hidden`);
  }
  assert.equal(await runLua('return os.execute == nil and os.exit == nil and os.remove == nil and os.getenv == nil'), true);
  assert.match(await kindOf(runLua('return require("io")')), /runtime: .*module 'io' not found/);
  // a script cannot poison the environment of the next one
  assert.match(await kindOf(runLua('table.insert = nil')), /^runtime: script\.lua:1: attempt to modify the read-only library 'table'/);
  assert.equal(await runLua('local n = 0 for k in pairs(table) do n = n + 1 end return n > 5 and #_G == 0'), true);
  await runLua('rawset(table, "insert", 1) rawset(os, "time", 2) x = 1');
  assert.equal(await runLua('return type(table.insert) .. type(os.time) .. tostring(x)'), 'functionfunctionnil');
  assert.equal(await runLua('return getmetatable("")'), 'string');
});

test('useOpenLibs gives the standard library', async () => {
  assert.equal(await runLua('return string.upper("a") .. math.floor(2.5) .. type(io) .. type(load)', { openLibs: true }), 'A2tablefunction');
  assert.equal(await runLua('return load("return 40 + 2")()', { openLibs: true }), 42);
  assert.equal(await runLua('return io.open("/etc/passwd")', { openLibs: true }), undefined, 'no host files inside the VM');
});

test('timeouts stop loops (also inside coroutines) with a clear error', async () => {
  assert.match(await kindOf(runLua('while true do end', { timeoutMs: 100 })), /^timeout: script\.lua: lua script timeout exceeded \(ran longer than 100 ms\)/);
  assert.match(await kindOf(runLua('local function f() return f() end return f()', { timeoutMs: 100, chunkName: 'tail.lua' })), /^timeout: tail\.lua/);
  assert.match(await kindOf(runLua('while true do pcall(function() while true do end end) end', { timeoutMs: 100 })), /^timeout/);
  const co = 'local co = coroutine.create(function() while true do end end) local ok, err = coroutine.resume(co) return err';
  assert.equal(await runLua(co, { openLibs: true, timeoutMs: 100 }), 'lua script timeout exceeded');
  assert.equal(await runLua('return 1'), 1, 'the pool recovers');
});

test('memory bounds stop unbounded allocation with a clear error', async () => {
  assert.match(await kindOf(runLua('local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end', { memoryBytes: 1 << 20, timeoutMs: 10000 })), /^memory: script\.lua: lua script exceeded its memory limit of 1048576 bytes/);
  assert.match(await kindOf(runLua('local s = ("x"):rep(1 << 30) return #s')), /^memory/);
  assert.match(await kindOf(runLua('local s = "x" while true do s = s .. s end', { memoryBytes: 4 << 20 })), /^memory/);
  assert.equal(await runLua('local t = {} for i = 1, 1e5 do t[i] = i end return #t', { memoryBytes: 8 << 20, timeoutMs: 60_000 }), 100000);
});

test('errors name the chunk and line', async () => {
  assert.match(await kindOf(runLua('return obj.a.b', { globals: { obj: {} }, chunkName: 'health.lua' })), /^runtime: health\.lua:1: attempt to index a nil value \(field 'a'\)/);
  for (let i = 0; i < 2; i++) assert.match(await kindOf(runLua('hs = {\nreturn hs')), /^syntax: script\.lua:2:/, 'the same error every time');
  assert.match(await kindOf(runLua('error("boom")')), /^runtime: script\.lua:1: boom$/);
  assert.match(await kindOf(runLua('table.insert()')), /^runtime: script\.lua:1: bad argument #1 to 'insert' \(table expected, got no value\)/, 'runtime errors saying "expected" are not syntax errors');
  assert.match(await kindOf(runLua('return (1')), /^syntax: script\.lua:1: '\)' expected near <eof>$/);
  assert.match(await kindOf(runLua('error({})')), /^runtime: a table error value/);
  assert.match(await kindOf(runLua('local t = {} t.self = t return t')), /^output: .*cycle/);
  assert.match(await kindOf(runLua('return 1', { globals: { f: () => 1 } as never })), /^input: cannot pass \$\.f to Lua/);
  assert.match(await kindOf(runLua('a\0b')), /^input: .*NUL/);
});

test('print goes to onPrint', async () => {
  const lines: string[] = [];
  await runLua('print("a", 1, nil, true) print()', { onPrint: (l) => lines.push(l) });
  assert.deepEqual(lines, ['a\t1\tnil\ttrue', '']);
  await runLua('print("discarded")');
});

test('compiled chunks are cached per engine and the cache is bounded', async () => {
  const pool = new LuaPool(1);
  for (let i = 0; i < 600; i++) assert.equal(await pool.run(`return ${i}`), i);
  for (let i = 0; i < 600; i += 50) assert.equal(await pool.run(`return ${i}`), i);
  assert.equal(await pool.run('return 1', { chunkName: 'a.lua' }), 1);
  assert.match(await kindOf(pool.run('error("x")', { chunkName: 'b.lua' })), /b\.lua:1: x/);
  assert.match(await kindOf(pool.run('error("x")', { chunkName: 'b.lua' })), /b\.lua:1: x/);
  pool.close();
});

test('pools reuse engines; separate pools are independent', async () => {
  const pool = new LuaPool(2);
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) assert.equal(await pool.run('return obj.n + 1', { globals: { obj: { n: i } } }), i + 1);
  const ms = performance.now() - t0;
  assert.ok(ms < 60_000, `2000 runs took ${ms} ms`);
  pool.close();
  assert.equal(await pool.run('return 2'), 2, 'a closed pool makes a new engine on demand');
  pool.close();
});

test('literals: keywords, odd keys and numbers', () => {
  assert.equal(toLuaLiteral({ end: 1, 'a-b': 2, ok: [true, null] }), '{["end"]=1,["a-b"]=2,ok=A{true,nil}}');
  assert.equal(toLuaLiteral(1e300), '1e+300');
  assert.equal(toLuaLiteral(NaN), 'nil');
  assert.throws(() => toLuaLiteral(Symbol('x') as never), /a symbol is not a JSON-like value/);
});
