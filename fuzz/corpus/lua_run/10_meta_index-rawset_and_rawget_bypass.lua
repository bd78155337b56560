-- __index/__newindex, inheritance chains, rawget/rawset.
--## rawset and rawget bypass
local mt = {__index = function() return "meta" end, __newindex = function() error("no") end}
local t = setmetatable({}, mt)
rawset(t, "k", "v")
print(t.k, rawget(t, "other"), t.other)
print(pcall(rawset, t, nil, 1))
print(pcall(rawget, "str", 1))
