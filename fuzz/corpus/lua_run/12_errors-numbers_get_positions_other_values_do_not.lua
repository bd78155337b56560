-- error, pcall, xpcall: levels, non-string values, nesting.
--## numbers get positions, other values do not
print(pcall(function() error(3.5) end))
print(pcall(function() error(setmetatable({}, {__tostring = function() return "custom" end})) end))
