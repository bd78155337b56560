-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## index errors
print(msg(function() local t; return t.x end))
print(msg(function() return undefinedglobal.x end))
print(msg(function() local t = {}; return t.a.b end))
print(msg(function(p) return p[1] end))
print(msg(function() local up = nil; return (function() return up.x end)() end))
print(msg(function() local s = 5; return s.field end))
print(msg(function() local t = {}; t.x.y = 1 end))
