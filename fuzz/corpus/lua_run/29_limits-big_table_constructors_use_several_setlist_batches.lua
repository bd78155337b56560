-- Implementation limits of Lua 5.1 that scripts can reach: C stack, registers, locals, upvalues, syntax depth.
local function gen(n, f) local t = {} for i = 1, n do t[i] = f(i) end return table.concat(t) end
--## big table constructors use several SETLIST batches
local src = "return {" .. gen(1000, function(i) return i .. "," end) .. "}"
local big = loadstring(src)()
print(#big, big[1], big[50], big[51], big[1000])
local src2 = "return {" .. gen(60, function(i) return "k" .. i .. "=" .. i .. "," end) .. gen(60, function(i) return i .. "," end) .. "}"
local mixed = loadstring(src2)()
print(#mixed, mixed.k60, mixed[60])
