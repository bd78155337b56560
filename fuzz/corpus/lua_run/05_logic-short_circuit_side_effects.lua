-- and/or/not, truthiness, short circuit.
--## short circuit side effects
local log = {}
local function f(x) log[#log + 1] = tostring(x); return x end
local r = f(1) and f(false) and f(3)
local r2 = f(nil) or f(false) or f("z")
print(r, r2, table.concat(log, ","))
