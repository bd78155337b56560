-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## tail calls return all results
local function tail(n) if n == 0 then return mr() end return tail(n - 1) end
print(tail(100))
local function deep(n) if n == 0 then return "bottom" end return deep(n - 1) end
print(deep(50000))
