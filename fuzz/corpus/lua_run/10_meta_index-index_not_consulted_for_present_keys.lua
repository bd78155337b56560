-- __index/__newindex, inheritance chains, rawget/rawset.
--## __index not consulted for present keys
local base = {v = "base"}
local obj = setmetatable({v = "own"}, {__index = base})
print(obj.v, obj.w)
obj.v = nil
print(obj.v)
