-- __index/__newindex, inheritance chains, rawget/rawset.
--## default values
local defaults = setmetatable({}, {__index = function() return 0 end})
defaults.x = defaults.x + 5
defaults.y = defaults.y + 1
print(defaults.x, defaults.y, defaults.z)
