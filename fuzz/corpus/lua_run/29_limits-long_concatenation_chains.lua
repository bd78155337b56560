-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## long concatenation chains
local chain = "return " .. gen(150, function(i) return "'" .. (i % 10) .. "'" .. (i < 150 and " .. " or "") end)
print(loadstring(chain)())
local sum = "return " .. gen(300, function(i) return i .. (i < 300 and " + " or "") end)
print(loadstring(sum)())
