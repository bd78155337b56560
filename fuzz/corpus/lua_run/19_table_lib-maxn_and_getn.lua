-- table.insert/remove/concat/sort/maxn/getn.
--## maxn and getn
print(table.maxn({1, 2, nil, 4}), table.maxn({}), table.maxn({[1.5] = true, [10] = 1}), table.getn({1, 2, 3}))
print(type(table.foreach), type(table.foreachi), type(table.setn))
