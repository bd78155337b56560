-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## long strings and string building
local s = string.rep("abc", 100000)
print(#s, s:sub(-3), #(s .. s), select(2, s:gsub("abc", "")))
