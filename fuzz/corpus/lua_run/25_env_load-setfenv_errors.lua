-- loadstring, setfenv/getfenv, _G, _VERSION.
--## setfenv errors
print(pcall(setfenv, print, {}))
print(pcall(setfenv, 1, 2))
print(pcall(getfenv, 100))
