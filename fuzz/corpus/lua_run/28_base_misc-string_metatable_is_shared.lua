-- Base library odds and ends.
--## string metatable is shared
local mt = getmetatable("a")
print(mt == getmetatable("b"), mt.__index == string)
