-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __len is ignored for tables in 5.1
local L = setmetatable({1, 2, 3}, {__len = function() return 99 end})
print(#L)
