-- Arithmetic, concat and unary metamethods.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
V.__div = function(a, b) return vec(a.x / b, a.y / b) end
V.__mod = function(a, b) return vec(a.x % b, a.y % b) end
V.__pow = function(a, b) return vec(a.x ^ b, a.y ^ b) end
V.__unm = function(a) return vec(-a.x, -a.y) end
V.__concat = function(a, b)
  local function s(v) if type(v) == "table" then return "(" .. v.x .. "," .. v.y .. ")" end return tostring(v) end
  return s(a) .. s(b)
end
V.__tostring = function(a) return "vec(" .. a.x .. ", " .. a.y .. ")" end
--## every arithmetic metamethod
local a, b = vec(1, 2), vec(3, 4)
print(tostring(a + b), tostring(a - b), a * b, tostring(2 * a), tostring(a * 3))
print(tostring(b / 2), tostring(b % 3), tostring(a ^ 2), tostring(-a))
--## concat metamethod on either side
local a = vec(1, 2)
print(a .. "!", "<" .. a, a .. a, 1 .. a)
print("x" .. "y" .. a .. "z")
--## metamethod lookup uses the left operand first
local L = setmetatable({}, {__add = function() return "left" end})
local R = setmetatable({}, {__add = function() return "right" end})
print(L + R, R + L, L + 1, 1 + R, "2" + L)
--## arithmetic on table without metamethod errors
print(pcall(function() return {} + 1 end))
print(pcall(function() local t = setmetatable({}, {}); return t * 2 end))
print(pcall(function() local q = {}; return -q end))
--## numeric strings do not consult metamethods
local mt = getmetatable("")
print(type(mt), type(mt.__index), mt.__add)
print("10" + "5", pcall(function() return "a" + 1 end))
--## metamethod returns multiple values, only first used
local M = setmetatable({}, {__add = function() return 1, 2, 3 end, __unm = function() return "neg", "x" end})
print(M + M, -M)
--## __index function receiving key
local calls = {}
local P = setmetatable({}, {__index = function(t, k) calls[#calls + 1] = tostring(k); return k .. "!" end})
print(P.foo, P[1], P.foo, rawget(P, "foo"), table.concat(calls, ","))
