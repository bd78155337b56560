-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __tostring used by print
local T = setmetatable({}, {__tostring = function() return "I am T" end})
print(T, tostring(T))
