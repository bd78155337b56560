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
--## call errors
print(msg(function() nofunc() end))
print(msg(function() local f = 1; f() end))
print(msg(function() local t = {}; t.method() end))
print(msg(function() local t = {}; t:method() end))
print(msg(function() ("x")() end))
print(msg(function() local t = {{}}; t[1]() end))
print(msg(function() local t = {}; t.a.b() end))
--## arithmetic errors
print(msg(function() local a = {}; return a + 1 end))
print(msg(function() return 1 + glob end))
print(msg(function() local t = {}; return t.x * 2 end))
print(msg(function() local s = "abc"; return s - 1 end))
print(msg(function() local u; return -u end))
print(msg(function() local u = {}; return #u + #nil_global end))
--## concat errors
print(msg(function() local n; return "a" .. n end))
print(msg(function() return "a" .. {} end))
print(msg(function() local t = {}; return t.x .. "b" end))
print(msg(function() return gl .. "x" end))
--## upvalue names
local captured
print(msg(function() return captured.field end))
print(msg(function() return captured() end))
print(msg(function() return captured + 1 end))
--## length errors
print(msg(function() local n = 5; return #n end))
print(msg(function() return #nothing end))
print(msg(function() local b = true; return #b end))
--## errors in library functions
print(msg(string.rep))
print(msg(string.sub))
print(msg(function() return ("x"):rep("y") end))
print(msg(function() return string.rep("x", -1, 5) end))
print(msg(function() return math.floor("a") end))
print(msg(function() return table.concat({1, {}, 3}) end))
print(msg(function() return table.insert(nil, 1) end))
print(msg(function() return setmetatable({}, {}).x.y end))
print(msg(function() return ipairs() end))
print(msg(function() return string.char(256) end))
print(msg(function() return ("x"):bad() end))
print(msg(function() local t = setmetatable({}, {__index = function(t, k) return nil end}); return t.a.b end))
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
