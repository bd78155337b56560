-- __call, __eq, __lt, __le, __len, __metatable, __tostring, __mode.
--## __metatable protects
local prot = setmetatable({}, {__metatable = "locked"})
print(getmetatable(prot), pcall(setmetatable, prot, {}))
print(getmetatable("abc").__index == string)
