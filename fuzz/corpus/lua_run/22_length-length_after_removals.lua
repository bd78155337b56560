-- # on tables with holes (the border must match the reference layout).
--## length after removals
local r = {1, 2, 3, 4, 5, 6, 7, 8}
for i = 8, 1, -2 do r[i] = nil end
print(#r)
local q = {n = 1, 1, 2}
print(#q, q.n)
