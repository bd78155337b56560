-- Closures and upvalues.
--## closures modify loop-outer locals
local total = 0
local adders = {}
for i = 1, 4 do adders[i] = function(x) total = total + x * i end end
for i = 1, 4 do adders[i](i) end
print(total)
