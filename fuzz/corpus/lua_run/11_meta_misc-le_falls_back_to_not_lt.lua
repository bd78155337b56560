-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __le falls back to not __lt
local O2 = {__lt = function(a, b) return a.v < b.v end}
local p, q = setmetatable({v = 1}, O2), setmetatable({v = 2}, O2)
print(p <= q, q <= p, pcall(function() return p < 1 end))
