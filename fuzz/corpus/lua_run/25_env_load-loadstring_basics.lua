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
