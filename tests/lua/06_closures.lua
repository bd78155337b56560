-- Closures and upvalues.
--## counter factory
local function counter()
  local n = 0
  return function() n = n + 1; return n end
end
local c1, c2 = counter(), counter()
print(c1(), c1(), c1(), c2(), c1())
--## shared upvalue between closures
local function pair()
  local v = 0
  local function get() return v end
  local function set(x) v = x end
  return get, set
end
local get, set = pair()
set(10); print(get()); set("s"); print(get())
--## fresh local per loop iteration
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
local gs = {}
for _, v in ipairs({"a", "b", "c"}) do gs[#gs + 1] = function() return v end end
print(gs[1](), gs[2](), gs[3]())
local hs = {}
local k = 1
while k <= 3 do
  local j = k
  hs[k] = function() j = j + 10; return j end
  k = k + 1
end
print(hs[1](), hs[1](), hs[2](), hs[3]())
--## closure captured inside repeat sees the until scope
local r = {}
local i = 0
repeat
  local x = i
  r[#r + 1] = function() return x * 2 end
  i = i + 1
until x >= 2
print(#r, r[1](), r[2](), r[3]())
--## upvalues survive their frame and are closed on break
local saved
for i = 1, 10 do
  local z = i * 100
  saved = function() return z end
  if i == 4 then break end
end
print(saved())
--## nested upvalues three levels deep
local function outer()
  local a = 1
  return function()
    local b = 2
    return function()
      a = a + 1; b = b + 1
      return a + b
    end
  end
end
local mid = outer()
local inner1, inner2 = mid(), mid()
print(inner1(), inner1(), inner2(), inner1())
--## recursive local function
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
local fib
fib = function(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fact(10), fib(20))
--## closures modify loop-outer locals
local total = 0
local adders = {}
for i = 1, 4 do adders[i] = function(x) total = total + x * i end end
for i = 1, 4 do adders[i](i) end
print(total)
--## upvalue of a parameter
local function mk(p) return function(q) p = p .. q; return p end end
local app = mk("x")
print(app("y"), app("z"))
