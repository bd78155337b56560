-- loadstring, setfenv/getfenv, _G, _VERSION.
--## load with a reader function
local pieces = {"return ", "'joined'", " .. 1"}
local idx = 0
print(load(function() idx = idx + 1; return pieces[idx] end)())
print(type(load(function() return nil end)), load(function() return nil end)())
