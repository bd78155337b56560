-- # on tables with holes (the border must match the reference layout).
--## hash-part integers
local h = {}
h[1] = 1; h[2] = 2; h[4] = 4
print(#h)
local h2 = {}
h2[3] = 3; h2[2] = 2; h2[1] = 1
print(#h2)
local h3 = {}
for i = 100, 1, -1 do h3[i] = i end
print(#h3)
