-- string.gsub and string.gmatch.
--## gsub on long strings
local long = string.rep("ab", 1000)
local r, n = long:gsub("ab", "x")
print(#r, n, select(2, long:gsub("b", "")))
