-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __eq only between tables with same metamethod
local mt = {__eq = function(a, b) return a.id == b.id end}
local x, y, z = setmetatable({id = 1}, mt), setmetatable({id = 1}, mt), setmetatable({id = 1}, {__eq = function() return true end})
print(x == y, x ~= y, x == z, x == 1, rawequal(x, y))
