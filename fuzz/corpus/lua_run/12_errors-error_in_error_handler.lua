-- error, pcall, xpcall: levels, non-string values, nesting.
--## error in error handler
print(xpcall(function() error("a") end, function(m) error("b") end))
