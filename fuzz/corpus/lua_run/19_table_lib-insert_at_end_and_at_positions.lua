-- table.insert/remove/concat/sort/maxn/getn.
--## insert at end and at positions
local t = {}
table.insert(t, "a"); table.insert(t, "b"); table.insert(t, 1, "first"); table.insert(t, 3, "mid")
print(table.concat(t, ","), #t)
table.insert(t, #t + 1, "last")
print(table.concat(t, ","))
print(pcall(table.insert, t, 1, 2, 3))
print(pcall(table.insert, t))
