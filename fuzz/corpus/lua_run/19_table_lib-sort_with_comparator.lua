-- table.insert/remove/concat/sort/maxn/getn.
--## sort with comparator
local people = {{n = "ann", a = 30}, {n = "bob", a = 25}, {n = "cid", a = 35}, {n = "dee", a = 25}}
table.sort(people, function(x, y) if x.a ~= y.a then return x.a > y.a end return x.n < y.n end)
local names = {}
for i, p in ipairs(people) do names[i] = p.n .. p.a end
print(table.concat(names, " "))
local desc = {3, 1, 2}
table.sort(desc, function(a, b) return a > b end)
print(table.concat(desc, ","))
