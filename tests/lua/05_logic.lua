-- and/or/not, truthiness, short circuit.
--## truthiness
for _, v in ipairs({0, "", false, "false", 0/0}) do
  print(type(v), v and "truthy" or "falsy")
end
print(nil and 1, false and 1, 1 and 2, 1 and nil, nil or 1, false or nil, 1 or error("x"))
--## short circuit side effects
local log = {}
local function f(x) log[#log + 1] = tostring(x); return x end
local r = f(1) and f(false) and f(3)
local r2 = f(nil) or f(false) or f("z")
print(r, r2, table.concat(log, ","))
--## ternary idiom pitfalls
local a = true and false or "fallback"
print(a, (1 > 2) and "yes" or "no", nil == nil and 1 or 2)
--## not of values
print(not nil, not false, not 0, not "", not not nil, not not {})
--## comparisons in conditions
local c = 0
if c then c = c + 1 end
if nil then c = 100 elseif false then c = 200 else c = c + 10 end
while c < 100 do c = c * 2 end
repeat c = c - 7 until c < 50
print(c)
