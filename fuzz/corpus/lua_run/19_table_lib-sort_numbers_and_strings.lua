-- table.insert/remove/concat/sort/maxn/getn.
--## sort numbers and strings
local nums = {5, 2, 8, 1, 9, 3, 7, 4, 6, 0}
table.sort(nums)
print(table.concat(nums, " "))
local strs = {"banana", "apple", "Cherry", "date", "apple2", ""}
table.sort(strs)
print(table.concat(strs, " "))
