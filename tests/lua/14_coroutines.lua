-- Coroutines.
--## resume and yield values
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e = coroutine.yield(c * 2)
  print("got", d, e)
  return "done", 99
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, "x", "y"))
print(coroutine.status(co))
print(coroutine.resume(co))
--## generators with wrap
local function range(n)
  return coroutine.wrap(function() for i = 1, n do coroutine.yield(i) end end)
end
local acc = {}
for v in range(5) do acc[#acc + 1] = v end
print(table.concat(acc, ","))
--## errors inside coroutines
local bad = coroutine.create(function() local x = nil; return x.y end)
print(coroutine.resume(bad))
print(coroutine.status(bad))
local w = coroutine.wrap(function() error("wrapped failure") end)
print(pcall(w))
local w2 = coroutine.wrap(function() error({}) end)
local okw2, ew2 = pcall(w2)
print(okw2, type(ew2))
--## status transitions and running
local main = coroutine.running()
print(main)
local inner
inner = coroutine.create(function()
  print(coroutine.status(inner), coroutine.running() == inner)
  coroutine.yield()
end)
print(coroutine.status(inner))
coroutine.resume(inner)
print(coroutine.status(inner))
coroutine.resume(inner)
print(coroutine.status(inner))
--## resume errors
print(coroutine.resume(coroutine.create(function() end)))
local dead = coroutine.create(function() end)
coroutine.resume(dead)
print(coroutine.resume(dead))
print(pcall(coroutine.resume, 1))
print(pcall(coroutine.create, 1))
local selfres
selfres = coroutine.create(function() return coroutine.resume(selfres) end)
print(coroutine.resume(selfres))
print(pcall(coroutine.yield, 1))
--## nested coroutines
local outer = coroutine.wrap(function()
  local inner = coroutine.wrap(function()
    coroutine.yield("inner1")
    coroutine.yield("inner2")
  end)
  coroutine.yield(inner())
  coroutine.yield("outer")
  coroutine.yield(inner())
end)
print(outer(), outer(), outer())
--## producer consumer
local function producer()
  return coroutine.create(function()
    for _, w in ipairs({"alpha", "beta", "gamma"}) do coroutine.yield(w) end
    return nil
  end)
end
local function consumer(p)
  local out = {}
  while true do
    local ok, v = coroutine.resume(p)
    if not v then break end
    out[#out + 1] = v:upper()
  end
  return table.concat(out, "+")
end
print(consumer(producer()))
--## yield across pcall is an error in 5.1
local y = coroutine.create(function()
  local ok, e = pcall(coroutine.yield, 1)
  return ok, e
end)
print(coroutine.resume(y))
print(coroutine.resume(y, "resumed"))
--## yield from metamethod is an error
local mco = coroutine.create(function()
  local t = setmetatable({}, {__index = function() return coroutine.yield("from meta") end})
  return t.x
end)
print(coroutine.resume(mco))
--## upvalues shared between coroutine and main
local shared = 0
local inc = coroutine.wrap(function() while true do shared = shared + 1; coroutine.yield(shared) end end)
inc(); inc()
shared = shared + 10
print(inc(), shared)
--## many coroutines
local cos = {}
for i = 1, 100 do cos[i] = coroutine.create(function(x) local y = coroutine.yield(x * 2); return x + y end) end
local s = 0
for i = 1, 100 do local _, v = coroutine.resume(cos[i], i); s = s + v end
for i = 1, 100 do local _, v = coroutine.resume(cos[i], 1); s = s + v end
print(s)
