-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## setmetatable argument errors
print(pcall(setmetatable, 1, {}))
print(pcall(setmetatable, {}, 1))
print(setmetatable({}, nil) ~= nil)
