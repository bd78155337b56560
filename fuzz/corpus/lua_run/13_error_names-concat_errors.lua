-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## concat errors
print(msg(function() local n; return "a" .. n end))
print(msg(function() return "a" .. {} end))
print(msg(function() local t = {}; return t.x .. "b" end))
print(msg(function() return gl .. "x" end))
