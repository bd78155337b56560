-- table.insert/remove/concat/sort/maxn/getn.
--## concat forms
print(table.concat({1, 2, 3}), table.concat({1, 2, 3}, "-"), table.concat({1, 2, 3}, "-", 2), table.concat({1, 2, 3}, "-", 2, 3))
print(table.concat({}, "x"), table.concat({"a"}, ", ", 1, 1), table.concat({1, 2}, "", 3), table.concat({1.5, "s", 10}, " "))
print(pcall(table.concat, {1, nil, 3}, ",", 1, 3))
print(pcall(table.concat, {true}))
