-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## too many upvalues
local ups = gen(61, function(i) return "local u" .. i .. " = " .. i .. "\n" end)
local body = "return function() return " .. gen(61, function(i) return "u" .. i .. (i < 61 and " + " or "") end) .. " end"
print(loadstring(ups .. body))
local ups60 = gen(60, function(i) return "local u" .. i .. " = " .. i .. "\n" end)
local body60 = "return (function() return " .. gen(60, function(i) return "u" .. i .. (i < 60 and " + " or "") end) .. " end)()"
print(loadstring(ups60 .. body60)())
