-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## syntax nesting depth
local deep = "return " .. string.rep("(", 150) .. "1" .. string.rep(")", 150)
print(loadstring(deep)())
local toodeep = "return " .. string.rep("(", 300) .. "1" .. string.rep(")", 300)
print(loadstring(toodeep))
local nestedtables = "return " .. string.rep("{", 100) .. string.rep("}", 100)
print(type(loadstring(nestedtables)()))
