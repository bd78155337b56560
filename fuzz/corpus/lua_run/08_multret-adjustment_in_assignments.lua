-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## adjustment in assignments
local a, b, c, d = mr()
print(a, b, c, d)
local x, y = mr(), 10
print(x, y)
local p, q, r = 0, mr()
print(p, q, r)
