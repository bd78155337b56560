-- table.insert/remove/concat/sort/maxn/getn.
--## sort errors
print(pcall(table.sort, {1, "x", 2}))
print(pcall(table.sort, {3, 2, 1}, function(a, b) return true end))
print(pcall(table.sort, {{}, {}}))
