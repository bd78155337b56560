-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## results in middle of list truncated
print(mr(), mr())
