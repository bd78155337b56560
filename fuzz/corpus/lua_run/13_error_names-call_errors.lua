-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## call errors
print(msg(function() nofunc() end))
print(msg(function() local f = 1; f() end))
print(msg(function() local t = {}; t.method() end))
print(msg(function() local t = {}; t:method() end))
print(msg(function() ("x")() end))
print(msg(function() local t = {{}}; t[1]() end))
print(msg(function() local t = {}; t.a.b() end))
