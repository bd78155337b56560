-- Runtime error messages naming the variable involved.
local function msg(f, ...) local ok, e = pcall(f, ...); return e end
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
