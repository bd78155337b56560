-- loadstring, setfenv/getfenv, _G, _VERSION.
--## chunk names of long source strings in runtime and syntax errors
local long = "local t = nil; return t.x -- " .. string.rep("y", 100)
print(pcall(loadstring(long)))
print(loadstring("x = = 1 -- " .. string.rep("z", 100)))
print(pcall(loadstring("error('e')\n-- second line")))
print(pcall(loadstring(string.rep(" ", 70) .. "error('spaces')")))
print(loadstring(string.rep(" ", 70) .. "x = = 1"))
