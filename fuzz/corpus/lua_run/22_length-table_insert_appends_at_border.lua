-- # on tables with holes (the border must match the reference layout).
--## table.insert appends at border
local b = {1, 2, nil, 4}
table.insert(b, "x")
print(b[5], b[3], #b)
