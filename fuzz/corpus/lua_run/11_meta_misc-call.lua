-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __call
local callable = setmetatable({}, {__call = function(self, a, b) return "called", a, b end})
print(callable(1, 2))
print(pcall(callable, "x"))
local adder = setmetatable({n = 10}, {__call = function(self, x) return self.n + x end})
print(adder(5), select("#", callable()))
