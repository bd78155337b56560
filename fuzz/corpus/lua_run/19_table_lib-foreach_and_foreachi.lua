-- table.insert/remove/concat/sort/maxn/getn.
--## foreach and foreachi
local seen = {}
table.foreachi({"x", "y", "z"}, function(i, v) seen[#seen + 1] = i .. v end)
print(table.concat(seen, ","), table.foreach({a = 1}, function(k, v) return k .. v end))
