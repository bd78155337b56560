-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
--## arithmetic errors
print(msg(function() local a = {}; return a + 1 end))
print(msg(function() return 1 + glob end))
print(msg(function() local t = {}; return t.x * 2 end))
print(msg(function() local s = "abc"; return s - 1 end))
print(msg(function() local u; return -u end))
print(msg(function() local u = {}; return #u + #nil_global end))
