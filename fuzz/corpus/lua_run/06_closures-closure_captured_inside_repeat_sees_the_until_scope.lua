-- Closures and upvalues.
--## closure captured inside repeat sees the until scope
local r = {}
local i = 0
repeat
  local x = i
  r[#r + 1] = function() return x * 2 end
  i = i + 1
until x >= 2
print(#r, r[1](), r[2](), r[3]())
