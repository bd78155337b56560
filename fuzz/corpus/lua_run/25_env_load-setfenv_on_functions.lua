-- loadstring, setfenv/getfenv, _G, _VERSION.
--## setfenv on functions
local function reads() return value end
value = "global"
print(reads())
setfenv(reads, {value = "custom"})
print(reads())
print(getfenv(reads).value, getfenv(0) == _G, getfenv(1) == _G, getfenv() == _G)
