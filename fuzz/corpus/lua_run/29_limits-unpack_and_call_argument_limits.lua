-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## unpack and call argument limits
local t = {}
for i = 1, 7990 do t[i] = i end
print(select("#", unpack(t)))
for i = 1, 10000 do t[i] = i end
print(pcall(unpack, t))
print(pcall(string.char, unpack(t, 1, 300)))
local args = {}
for i = 1, 250 do args[i] = i end
print(select("#", unpack(args)), math.max(unpack(args)))
