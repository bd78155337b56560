-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## local function vs local f = function recursion
local function rec(n) if n == 0 then return "r" end return rec(n - 1) end
local notrec = function(n) return n end
print(rec(3), notrec(3))
