-- Control flow: loops, break, nested scopes, recursion depth.
--## float loop accumulations
local steps = 0
for x = 0, 1, 0.1 do steps = steps + 1 end
print(steps)
local down = {}
for x = 10, 1, -3 do down[#down + 1] = x end
print(table.concat(down, ","))
