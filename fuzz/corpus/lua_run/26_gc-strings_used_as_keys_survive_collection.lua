-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## strings used as keys survive collection
local dict = {}
for i = 1, 2000 do dict["key" .. i] = i end
collectgarbage()
local found = 0
for i = 1, 2000 do if dict["key" .. i] == i then found = found + 1 end end
print(found)
