-- error, pcall, xpcall: levels, non-string values, nesting.
--## non-string error values
local e = {code = 42}
local ok, v = pcall(error, e)
print(ok, v == e, v.code)
print(pcall(error, 12))
print(pcall(error, true))
print(select("#", pcall(error)))
