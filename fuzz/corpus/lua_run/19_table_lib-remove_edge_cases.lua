-- table.insert/remove/concat/sort/maxn/getn.
--## remove edge cases
local r = {1, 2, 3, 4, 5}
print(table.remove(r), table.remove(r, 1), table.concat(r, ","))
print(table.remove({}), table.remove({}, 1), #r)
print(table.remove(r, 2), table.concat(r, ","))
local one = {"only"}
print(table.remove(one), #one, table.remove(one))
local holey = {1, 2, nil, 4}
print(pcall(table.remove, holey, 10))
