-- __index/__newindex, inheritance chains, rawget/rawset.
--## read-only table
local function readonly(t)
  return setmetatable({}, {__index = t, __newindex = function(_, k) error("attempt to update read-only field " .. tostring(k), 2) end})
end
local ro = readonly({a = 1})
print(ro.a, pcall(function() ro.a = 2 end))
