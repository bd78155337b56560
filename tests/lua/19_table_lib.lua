-- table.insert/remove/concat/sort/maxn/getn.
--## insert at end and at positions
local t = {}
table.insert(t, "a"); table.insert(t, "b"); table.insert(t, 1, "first"); table.insert(t, 3, "mid")
print(table.concat(t, ","), #t)
table.insert(t, #t + 1, "last")
print(table.concat(t, ","))
print(pcall(table.insert, t, 1, 2, 3))
print(pcall(table.insert, t))
--## insert beyond the border
local h = {1, 2, 3}
table.insert(h, 10, "far")
print(#h, h[10], h[4])
--## remove edge cases
local r = {1, 2, 3, 4, 5}
print(table.remove(r), table.remove(r, 1), table.concat(r, ","))
print(table.remove({}), table.remove({}, 1), #r)
print(table.remove(r, 2), table.concat(r, ","))
local one = {"only"}
print(table.remove(one), #one, table.remove(one))
local holey = {1, 2, nil, 4}
print(pcall(table.remove, holey, 10))
--## concat forms
print(table.concat({1, 2, 3}), table.concat({1, 2, 3}, "-"), table.concat({1, 2, 3}, "-", 2), table.concat({1, 2, 3}, "-", 2, 3))
print(table.concat({}, "x"), table.concat({"a"}, ", ", 1, 1), table.concat({1, 2}, "", 3), table.concat({1.5, "s", 10}, " "))
print(pcall(table.concat, {1, nil, 3}, ",", 1, 3))
print(pcall(table.concat, {true}))
--## sort numbers and strings
local nums = {5, 2, 8, 1, 9, 3, 7, 4, 6, 0}
table.sort(nums)
print(table.concat(nums, " "))
local strs = {"banana", "apple", "Cherry", "date", "apple2", ""}
table.sort(strs)
print(table.concat(strs, " "))
--## sort with comparator
local people = {{n = "ann", a = 30}, {n = "bob", a = 25}, {n = "cid", a = 35}, {n = "dee", a = 25}}
table.sort(people, function(x, y) if x.a ~= y.a then return x.a > y.a end return x.n < y.n end)
local names = {}
for i, p in ipairs(people) do names[i] = p.n .. p.a end
print(table.concat(names, " "))
local desc = {3, 1, 2}
table.sort(desc, function(a, b) return a > b end)
print(table.concat(desc, ","))
--## sort errors
print(pcall(table.sort, {1, "x", 2}))
print(pcall(table.sort, {3, 2, 1}, function(a, b) return true end))
print(pcall(table.sort, {{}, {}}))
--## sort larger arrays deterministically
local big = {}
local x = 12345
for i = 1, 500 do x = (x * 1103515245 + 12345) % 2147483648; big[i] = x % 1000 end
table.sort(big)
local ok = true
for i = 2, #big do if big[i - 1] > big[i] then ok = false end end
print(ok, big[1], big[250], big[500])
--## maxn and getn
print(table.maxn({1, 2, nil, 4}), table.maxn({}), table.maxn({[1.5] = true, [10] = 1}), table.getn({1, 2, 3}))
print(type(table.foreach), type(table.foreachi), type(table.setn))
--## foreach and foreachi
local seen = {}
table.foreachi({"x", "y", "z"}, function(i, v) seen[#seen + 1] = i .. v end)
print(table.concat(seen, ","), table.foreach({a = 1}, function(k, v) return k .. v end))
