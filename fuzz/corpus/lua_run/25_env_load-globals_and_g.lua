-- loadstring, setfenv/getfenv, _G, _VERSION.
--## globals and _G
newglobal = 42
print(_G.newglobal, _G._G == _G, rawget(_G, "newglobal"))
_G.other = "set through _G"
print(other)
print(_VERSION)
