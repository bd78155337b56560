-- __index/__newindex, inheritance chains, rawget/rawset.
--## __newindex table and function
local store = {}
local proxy = setmetatable({}, {__newindex = store})
proxy.a = 1
print(rawget(proxy, "a"), store.a)
local log = {}
local watched = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v) end})
watched.x = 1; watched.x = 2; watched.y = nil
print(watched.x, table.concat(log, " "))
