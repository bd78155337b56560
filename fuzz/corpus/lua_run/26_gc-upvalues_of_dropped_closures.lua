-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## upvalues of dropped closures
local getters = {}
for i = 1, 100 do local box = {i}; getters[i] = function() return box[1] end end
collectgarbage()
local gs = 0
for i = 1, 100 do gs = gs + getters[i]() end
print(gs)
