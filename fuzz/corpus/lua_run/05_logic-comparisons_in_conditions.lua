-- and/or/not, truthiness, short circuit.
--## comparisons in conditions
local c = 0
if c then c = c + 1 end
if nil then c = 100 elseif false then c = 200 else c = c + 10 end
while c < 100 do c = c * 2 end
repeat c = c - 7 until c < 50
print(c)
