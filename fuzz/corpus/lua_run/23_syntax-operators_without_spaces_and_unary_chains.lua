-- Syntax oddities of Lua 5.1: semicolons, comments, long strings, method calls, call sugar.
--## operators without spaces and unary chains
local x = 5
print(x-1, x- -1, - -x, not not x, -x^2, 2^-1, 1-(-1))
print(#"abc"..#"de", "a".."b".."c", 1 .."")
