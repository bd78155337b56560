-- error, pcall, xpcall: levels, non-string values, nesting.
--## tostring of error with level 2 inside method
local Obj = {}
function Obj:check(x) if type(x) ~= "number" then error("bad x: " .. type(x), 2) end return x end
local function user() return Obj:check("s") end
print(pcall(user))
