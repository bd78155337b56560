-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __lt and __le
local O = {}
O.__lt = function(a, b) return a.v < b.v end
O.__le = function(a, b) return a.v <= b.v end
local function o(v) return setmetatable({v = v}, O) end
print(o(1) < o(2), o(2) < o(1), o(1) <= o(1), o(2) >= o(1), o(1) > o(2))
