-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## bad argument names come from the call site
local myrep = string.rep
print(msg(function() return myrep() end))
print(msg(function() return string.rep() end))
local lib = {f = string.sub}
print(msg(function() return lib.f() end))
print(msg(function() return lib["f"]() end))
print(msg(function() return ("x"):rep() end))
print(msg(function() return ("x"):sub({}) end))
print(msg(function() local s = "x"; return s.rep(s, {}) end))
print(msg(function() return (string.rep)() end))
print(msg(function() return tonumber() end))
print(msg(function() local t = {string.rep}; return t[1]() end))
print(msg(string.rep), msg(tonumber))
print(msg(function() return setmetatable({}, {__index = string.rep}).x end))
print(msg(function() return table.sort({3, 2, 1}, string.rep) end))
