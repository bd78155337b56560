-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## parentheses truncate
print((mr()))
print(mr(), (mr()))
local t = {(mr())}
print(#t)
