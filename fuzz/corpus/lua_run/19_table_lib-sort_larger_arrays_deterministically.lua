-- table.insert/remove/concat/sort/maxn/getn.
--## sort larger arrays deterministically
local big = {}
local x = 12345
for i = 1, 500 do x = (x * 1103515245 + 12345) % 2147483648; big[i] = x % 1000 end
table.sort(big)
local ok = true
for i = 2, #big do if big[i - 1] > big[i] then ok = false end end
print(ok, big[1], big[250], big[500])
