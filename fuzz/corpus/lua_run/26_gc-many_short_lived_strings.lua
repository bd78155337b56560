-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## many short-lived strings
local last
for i = 1, 20000 do last = "str" .. i .. string.rep("x", i % 50) end
print(#last, last:sub(1, 8))
