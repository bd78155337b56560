-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## table constructors with all separators
local t = {1, 2; 3, x = 1; ["y z"] = 2, [1 + 3] = 4,}
print(#t, t.x, t["y z"], t[4])
local nested = {{1, {2, {3}}}, k = {k = {k = "deep"}}}
print(nested[1][2][2][1], nested.k.k.k)
