-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## multiple assignment evaluation order
local i = 1
local arr = {}
i, arr[i] = i + 1, 20
print(i, arr[1], arr[2])
local m, n = 1, 2
m, n = n, m
print(m, n)
