-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## too many locals
local ok200 = "local " .. gen(199, function(i) return "a" .. i .. (i < 199 and ", " or "") end) .. " = 1 return a1"
print(loadstring(ok200)())
local bad = "local " .. gen(201, function(i) return "a" .. i .. (i < 201 and ", " or "") end) .. " = 1"
print(loadstring(bad))
