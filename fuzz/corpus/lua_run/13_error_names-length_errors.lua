-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## length errors
print(msg(function() local n = 5; return #n end))
print(msg(function() return #nothing end))
print(msg(function() local b = true; return #b end))
