-- Multiple results and their adjustment.
local function mr() return 1, 2, 3 end
--## string.find and gsub return counts
local s, e = string.find("hello", "ll")
print(s, e, (string.gsub("aaa", "a", "b")))
print(string.gsub("aaa", "a", "b"))
