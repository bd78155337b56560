-- table.insert/remove/concat/sort/maxn/getn.
--## insert beyond the border
local h = {1, 2, 3}
table.insert(h, 10, "far")
print(#h, h[10], h[4])
