-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __call
local callable = setmetatable({}, {__call = function(self, a, b) return "called", a, b end})
print(callable(1, 2))
print(pcall(callable, "x"))
local adder = setmetatable({n = 10}, {__call = function(self, x) return self.n + x end})
print(adder(5), select("#", callable()))
--## __eq only between tables with same metamethod
local mt = {__eq = function(a, b) return a.id == b.id end}
local x, y, z = setmetatable({id = 1}, mt), setmetatable({id = 1}, mt), setmetatable({id = 1}, {__eq = function() return true end})
print(x == y, x ~= y, x == z, x == 1, rawequal(x, y))
--## __lt and __le
local O = {}
O.__lt = function(a, b) return a.v < b.v end
O.__le = function(a, b) return a.v <= b.v end
local function o(v) return setmetatable({v = v}, O) end
print(o(1) < o(2), o(2) < o(1), o(1) <= o(1), o(2) >= o(1), o(1) > o(2))
--## __le falls back to not __lt
local O2 = {__lt = function(a, b) return a.v < b.v end}
local p, q = setmetatable({v = 1}, O2), setmetatable({v = 2}, O2)
print(p <= q, q <= p, pcall(function() return p < 1 end))
--## __len is ignored for tables in 5.1
local L = setmetatable({1, 2, 3}, {__len = function() return 99 end})
print(#L)
--## __metatable protects
local prot = setmetatable({}, {__metatable = "locked"})
print(getmetatable(prot), pcall(setmetatable, prot, {}))
print(getmetatable("abc").__index == string)
--## setmetatable argument errors
print(pcall(setmetatable, 1, {}))
print(pcall(setmetatable, {}, 1))
print(setmetatable({}, nil) ~= nil)
--## weak tables after collection
local weak = setmetatable({}, {__mode = "k"})
local strong = {}
local function fill()
  local k1 = {}
  weak[k1] = "a"
  weak[strong] = "b"
end
fill()
collectgarbage()
collectgarbage()
local n = 0
for k, v in pairs(weak) do n = n + 1 end
print(n, weak[strong])
local wv = setmetatable({}, {__mode = "v"})
local function fillv() wv[1] = {}; wv[2] = strong; wv[3] = "str"; wv[4] = 7 end
fillv()
collectgarbage()
print(wv[1], wv[2] == strong, wv[3], wv[4])
--## __tostring used by print
local T = setmetatable({}, {__tostring = function() return "I am T" end})
print(T, tostring(T))
--## __concat with numbers
local C = setmetatable({}, {__concat = function(a, b) return "C" end})
print(C .. 1, 1 .. C, C .. C)
