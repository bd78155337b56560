-- __index/__newindex, inheritance chains, rawget/rawset.
--## __index loop chain depth
local chain = {}
local last = {deep = "found"}
for i = 1, 50 do last = setmetatable({}, {__index = last}) end
print(last.deep)
