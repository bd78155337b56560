-- tonumber/tostring edge cases.
--## tostring of tables with __tostring
local t = setmetatable({}, {__tostring = function() return "T!" end})
print(tostring(t), t)
local u = setmetatable({}, {__tostring = function(self) return 42 end})
print(tostring(u))
print(type(tostring(print)), string.sub(tostring({}), 1, 7), string.sub(tostring(print), 1, 10))
