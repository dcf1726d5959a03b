/**
 * The trusted Lua code every engine loads once (it runs with the full standard library; user
 * scripts never see it). `__flotilla_run(id, script|nil, input, openLibs, chunkName, timeoutSec, capturePrints)`:
 *  - builds the script's environment: Argo CD's sandbox (base functions without load/dofile/
 *    loadfile/require-of-anything-but-os/collectgarbage, `table`, and a safe `os` with
 *    time/date/clock/difftime) or, with openLibs, every standard library;
 *  - decodes `input` (a Lua table constructor built by literal.ts) into the globals;
 *  - compiles the script once (cached by an id the JS side assigns) with `_ENV` bound per run;
 *  - runs it and encodes its first return value as JSON (arrays: tables that were arrays on the
 *    way in, or whose keys are exactly 1..n; an empty table is `{}` unless it was an array).
 */
export const PRELUDE = String.raw`
local load, pairs, next, type, tostring, setmetatable, error, select = load, pairs, next, type, tostring, setmetatable, error, select
local mtype, floor, huge, sformat, concat, sgsub = math.type, math.floor, math.huge, string.format, table.concat, string.gsub
local stdlib = {}
for k, v in pairs(_G) do stdlib[k] = v end

local ARRAYS = setmetatable({}, { __mode = "k" })
local function A(t) ARRAYS[t] = true return t end

local function copy(t) local c = {} for k, v in pairs(t) do c[k] = v end return c end
local safe_os = { time = os.time, date = os.date, clock = os.clock, difftime = os.difftime }
local SANDBOX_BASE = {}
for _, name in ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall", "_VERSION", "unpack" }) do
  SANDBOX_BASE[name] = stdlib[name]
end
SANDBOX_BASE.unpack = table.unpack

local DEADLINE = 0
local sethook = debug.sethook
local function co_hook()
  if os.clock() > DEADLINE then
    sethook(co_hook, "", 1) -- every instruction of this coroutine fails from now on
    error("lua script timeout exceeded", 0)
  end
end
local raw_cocreate = coroutine.create
local function guarded_coroutine()
  local c = copy(coroutine)
  c.create = function(f) local co = raw_cocreate(f) sethook(co, co_hook, "", 1000) return co end
  c.wrap = function(f)
    local co = c.create(f)
    return function(...)
      local r = table.pack(coroutine.resume(co, ...))
      if not r[1] then error(r[2], 0) end
      return table.unpack(r, 2, r.n)
    end
  end
  return c
end

local PRINT_SINK = nil
local function lua_print(...)
  if PRINT_SINK == nil then return end
  local parts = {}
  for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
  PRINT_SINK[#PRINT_SINK + 1] = concat(parts, "\t")
end

-- libraries are shared by every run behind read-only views; a run's globals live in its own table
local PROXIES = {}
local function readonly(lib, name)
  local p = setmetatable({}, {
    __index = lib,
    __newindex = function() error("attempt to modify the read-only library '" .. name .. "'", 2) end,
    __pairs = function() return next, lib, nil end,
    __len = function() return #lib end,
    __metatable = false,
  })
  PROXIES[#PROXIES + 1] = p
  return p
end
local function scrub() -- rawset() can still write into a view: undo it before the next run
  for i = 1, #PROXIES do
    local p = PROXIES[i]
    if next(p) ~= nil then for k in next, p do rawset(p, k, nil) end end
  end
end

local SANDBOX = {}
for k, v in pairs(SANDBOX_BASE) do SANDBOX[k] = v end
SANDBOX.table = readonly(table, "table")
SANDBOX.os = readonly(safe_os, "os")
SANDBOX.require = function(name)
  if name == "os" then return SANDBOX.os end
  error("module '" .. tostring(name) .. "' not found: only 'os' may be required without useOpenLibs", 2)
end
SANDBOX.print = lua_print

local OPEN = {}
for k, v in pairs(stdlib) do OPEN[k] = v end
for _, lib in ipairs({ "string", "table", "math", "os", "io", "utf8", "debug", "package" }) do
  if stdlib[lib] then OPEN[lib] = readonly(stdlib[lib], lib) end
end
OPEN.coroutine = readonly(guarded_coroutine(), "coroutine")
OPEN.print = lua_print

local SANDBOX_MT = { __index = SANDBOX, __metatable = false }
local OPEN_MT = { __index = OPEN, __metatable = false }
local function make_env(openLibs)
  local env = setmetatable({}, openLibs and OPEN_MT or SANDBOX_MT)
  env._G = env
  return env
end

-- compiled chunks by the id the JS side gave their (chunk name, source); the JS side decides
-- when the cache is reset (a nil script with an id that is not cached is an error)
local CACHE = {}
local function compile(id, script, chunkName)
  local fn = CACHE[id]
  if fn then return fn end
  if script == nil then error("internal: chunk " .. tostring(id) .. " is not cached", 0) end
  local err
  fn, err = load("local _ENV = ...; " .. script, "=" .. chunkName, "t")
  if not fn then error("\2flotilla-syntax\2" .. err, 0) end
  CACHE[id] = fn
  return fn
end
function __flotilla_reset_cache() CACHE = {} end

local ESC = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f', ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }
local function esc(s)
  return '"' .. sgsub(s, '[%c"\\]', function(c) return ESC[c] or sformat("\\u%04x", c:byte()) end) .. '"'
end

local encode
local function is_array(t)
  if ARRAYS[t] then return true end
  local n = 0
  for k in pairs(t) do
    if mtype(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  if n == 0 then return false end
  for i = 1, n do if t[i] == nil then return false end end
  return true
end
encode = function(v, out, seen, depth)
  local tv = type(v)
  if tv == "string" then out[#out + 1] = esc(v)
  elseif tv == "number" then
    if v ~= v or v == huge or v == -huge then out[#out + 1] = "null"
    elseif mtype(v) == "integer" then out[#out + 1] = tostring(v)
    elseif v == floor(v) and v > -9007199254740992 and v < 9007199254740992 then out[#out + 1] = sformat("%d", v)
    else out[#out + 1] = sformat("%.17g", v) end
  elseif tv == "boolean" then out[#out + 1] = v and "true" or "false"
  elseif tv == "table" then
    if seen[v] then error("cannot convert the script's result to JSON: it contains a cycle", 0) end
    if depth > 512 then error("cannot convert the script's result to JSON: nested deeper than 512 levels", 0) end
    seen[v] = true
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        encode(v[i], out, seen, depth + 1)
      end
      out[#out + 1] = "]"
    else
      out[#out + 1] = "{"
      local first = true
      for k, x in pairs(v) do
        local tx = type(x)
        if tx ~= "function" and tx ~= "userdata" and tx ~= "thread" then
          if not first then out[#out + 1] = "," end
          first = false
          out[#out + 1] = esc(type(k) == "string" and k or tostring(k))
          out[#out + 1] = ":"
          encode(x, out, seen, depth + 1)
        end
      end
      out[#out + 1] = "}"
    end
    seen[v] = nil
  else out[#out + 1] = "null" end
end

function __flotilla_run(id, script, input, openLibs, chunkName, timeoutSec, capturePrints)
  DEADLINE = os.clock() + timeoutSec
  local decode, err = load("return " .. input, "=globals", "t", { A = A })
  if not decode then error("cannot pass the globals to Lua: " .. err, 0) end
  local env = make_env(openLibs)
  for k, v in pairs(decode()) do env[k] = v end
  local fn = compile(id, script, chunkName)
  scrub()
  PRINT_SINK = capturePrints and A({}) or nil
  local result = fn(env)
  local out = {}
  encode(result, out, {}, 0)
  local prints = PRINT_SINK
  PRINT_SINK = nil
  if prints then
    local p = {}
    encode(prints, p, {}, 0)
    return concat(out), concat(p)
  end
  return concat(out), nil
end

function __flotilla_gc() collectgarbage("collect") end

-- strings' metatable stays out of reach, so no script can change string methods for the next one
getmetatable("").__metatable = "string"
`;
