-- Base library odds and ends.
--## ipairs and pairs return values
local f, s, c = ipairs({})
print(type(f), type(s), c)
local f2, s2, c2 = pairs({})
print(type(f2), type(s2), c2)
