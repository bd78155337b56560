-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## many constants in one function
local consts = "local t = {} " .. gen(300, function(i) return "t[" .. i .. "] = 's" .. i .. "' " end) .. " return t[300], #t"
print(loadstring(consts)())
