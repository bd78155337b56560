-- Base library odds and ends.
--## type of everything
print(type(nil), type(1), type("s"), type({}), type(print), type(type), type(coroutine.create(function() end)), type(true))
print(pcall(type))
--## select and unpack interplay
local t = {n = 3, 1, 2, 3}
print(select("#", unpack(t)), unpack(t, 2, t.n))
--## rawequal rawget rawset return values
local r = {}
print(rawset(r, "a", 1) == r, rawget(r, "a"), rawequal(r, r))
--## Lua 5.0 compatibility aliases Redis keeps
print(math.mod(7, 3), math.mod(-7, 3), type(string.gfind), table.getn({1, 2}))
local acc = {}
for w in string.gfind("a b c", "%a") do acc[#acc + 1] = w end
print(table.concat(acc))
--## tostring tonumber round trip on many values
local vals = {0, -0, 1, -1, 0.5, 1e10, 1e-10, 123.456, 2^24, 2^31 - 1, -2^31}
local out = {}
for i, v in ipairs(vals) do out[i] = tostring(v) end
print(table.concat(out, " "))
--## print with no args and nil args
print()
print(nil)
print(nil, nil)
print("a", nil, "b")
--## ipairs and pairs return values
local f, s, c = ipairs({})
print(type(f), type(s), c)
local f2, s2, c2 = pairs({})
print(type(f2), type(s2), c2)
--## getmetatable on various types
print(getmetatable(1), getmetatable(nil), getmetatable({}), getmetatable(print), type(getmetatable("")))
--## unpack with explicit n and nil holes
print(unpack({1, nil, 3}, 1, 3))
print(select("#", unpack({}, 1, 3)))
--## string metatable is shared
local mt = getmetatable("a")
print(mt == getmetatable("b"), mt.__index == string)
