-- Arithmetic operators and the %.14g number format.
--## numeric for loops
local acc = {}
for i = 1, 3 do acc[#acc + 1] = i end
for i = 3, 1, -1 do acc[#acc + 1] = i end
for i = 1, 2, 0.5 do acc[#acc + 1] = i end
for i = 1, 0 do acc[#acc + 1] = "never" end
for i = 0.1, 0.35, 0.1 do acc[#acc + 1] = i end
print(table.concat(acc, " "))
