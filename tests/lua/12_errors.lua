-- error, pcall, xpcall: levels, non-string values, nesting.
--## error with levels
local function lvl1() error("at level 1") end
local function lvl2() error("at level 2", 2) end
local function lvl0() error("no position", 0) end
local function caller() lvl2() end
print(pcall(lvl1))
print(pcall(caller))
print(pcall(lvl0))
print(pcall(error))
print(pcall(error, nil))
--## non-string error values
local e = {code = 42}
local ok, v = pcall(error, e)
print(ok, v == e, v.code)
print(pcall(error, 12))
print(pcall(error, true))
print(select("#", pcall(error)))
--## numbers get positions, other values do not
print(pcall(function() error(3.5) end))
print(pcall(function() error(setmetatable({}, {__tostring = function() return "custom" end})) end))
--## pcall returns all results on success
print(pcall(function(...) return ... end, 1, nil, 3))
print(pcall(print == print and function() return end))
print(pcall(nil))
print(pcall(42))
--## nested pcall
print(pcall(pcall, error, "inner"))
print(pcall(function()
  local ok, err = pcall(error, "first")
  error("second: " .. err, 0)
end))
--## xpcall with traceback-free handler
print(xpcall(function() error("boom") end, function(m) return "handled: " .. m end))
print(xpcall(function() return "fine", 2 end, print))
print(xpcall(function() error({1, 2}) end, function(m) return type(m) .. #m end))
print(xpcall(function() local x = nil; return x.y end, function(m) return (string.gsub(m, "^.-:%d+: ", "")) end))
--## error in error handler
print(xpcall(function() error("a") end, function(m) error("b") end))
--## assert
print(pcall(assert, false))
print(pcall(assert, nil, "custom message"))
print(pcall(assert, 1 == 1, "unused"))
print(assert(1, 2, 3))
print(pcall(assert, false, {1}))
print(pcall(assert))
--## runtime errors inside pcall keep state consistent
local t = {}
for i = 1, 5 do
  local ok = pcall(function() t[i] = i; if i % 2 == 0 then error("even") end end)
  t[#t + 1] = ok and "ok" or "err"
end
print(table.concat(t, " "))
--## error position in a multi-line function
local function multi()
  local a = 1
  local b = 2
  error("line four")
end
print(pcall(multi))
--## tostring of error with level 2 inside method
local Obj = {}
function Obj:check(x) if type(x) ~= "number" then error("bad x: " .. type(x), 2) end return x end
local function user() return Obj:check("s") end
print(pcall(user))
