-- __index/__newindex, inheritance chains, rawget/rawset.
--## __index on strings via string metatable
local s = "hello"
print(s:upper(), type(s.len), ("x"):rep(3), #s:sub(2))
