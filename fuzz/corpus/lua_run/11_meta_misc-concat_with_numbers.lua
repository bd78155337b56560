-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __concat with numbers
local C = setmetatable({}, {__concat = function(a, b) return "C" end})
print(C .. 1, 1 .. C, C .. C)
