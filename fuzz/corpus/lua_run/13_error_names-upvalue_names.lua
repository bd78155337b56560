-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## upvalue names
local captured
print(msg(function() return captured.field end))
print(msg(function() return captured() end))
print(msg(function() return captured + 1 end))
