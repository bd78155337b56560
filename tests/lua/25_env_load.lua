-- loadstring, setfenv/getfenv, _G, _VERSION.
--## loadstring basics
local f = loadstring("return 1 + 2")
print(f())
print(loadstring("syntax error here"))
print(loadstring("return ...")(1, 2, 3))
local g, err = loadstring("x = ", "mychunk")
print(g, err)
print(type(loadstring("error('inside')", "=named")))
print(pcall(loadstring("error('inside')", "=named")))
print(pcall(loadstring("local x = nil; return x.y", "@file.lua")))
--## syntax error messages
for _, src in ipairs({"x = = 1", "for i = 1 do end", "local 1 = 2", "return return", "f(", "x = 'unterminated", "x = [[ long", "if x then", "a.b:c = 1", "x = }", "local t = {1 2}", "break", "goto = 1; goto x", "x = 1 + ", "return 1 2", "(f)", "x = \"\\q\"", "x = 0x", "x = 3e", "function f(a,) end", "local function() end"}) do
  local fn, e = loadstring(src)
  print(e)
end
--## load with a reader function
local pieces = {"return ", "'joined'", " .. 1"}
local idx = 0
print(load(function() idx = idx + 1; return pieces[idx] end)())
print(type(load(function() return nil end)), load(function() return nil end)())
--## globals and _G
newglobal = 42
print(_G.newglobal, _G._G == _G, rawget(_G, "newglobal"))
_G.other = "set through _G"
print(other)
print(_VERSION)
--## setfenv on functions
local function reads() return value end
value = "global"
print(reads())
setfenv(reads, {value = "custom"})
print(reads())
print(getfenv(reads).value, getfenv(0) == _G, getfenv(1) == _G, getfenv() == _G)
--## setfenv on loaded chunk
local chunk = loadstring("y = 10; return y + (base or 0)")
local env = {base = 5}
setfenv(chunk, env)
print(chunk(), env.y, y)
--## environment inherited by nested closures
local maker = loadstring("return function() return tag end")
setfenv(maker, {tag = "inherited"})
print(maker()())
--## setfenv errors
print(pcall(setfenv, print, {}))
print(pcall(setfenv, 1, 2))
print(pcall(getfenv, 100))
--## chunk names of long source strings in runtime and syntax errors
local long = "local t = nil; return t.x -- " .. string.rep("y", 100)
print(pcall(loadstring(long)))
print(loadstring("x = = 1 -- " .. string.rep("z", 100)))
print(pcall(loadstring("error('e')\n-- second line")))
print(pcall(loadstring(string.rep(" ", 70) .. "error('spaces')")))
print(loadstring(string.rep(" ", 70) .. "x = = 1"))
