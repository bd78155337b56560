-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## closures created in a loop and dropped
local sum = 0
for i = 1, 5000 do
  local f = function(x) return x + i end
  sum = sum + f(1)
end
print(sum)
