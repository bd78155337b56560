-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## no results
local function none() end
print(none())
print((none()))
print(none(), 1)
local z = none()
print(z, select("#", none()), select("#", (none())))
