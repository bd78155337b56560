-- error, pcall, xpcall: levels, non-string values, nesting.
--## pcall returns all results on success
print(pcall(function(...) return ... end, 1, nil, 3))
print(pcall(print == print and function() return end))
print(pcall(nil))
print(pcall(42))
