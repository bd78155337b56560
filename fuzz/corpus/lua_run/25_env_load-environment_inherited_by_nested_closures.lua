-- loadstring, setfenv/getfenv, _G, _VERSION.
--## environment inherited by nested closures
local maker = loadstring("return function() return tag end")
setfenv(maker, {tag = "inherited"})
print(maker()())
