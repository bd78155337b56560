-- Comparison rules.
--## equality across types
print(1 == 1.0, "a" == "a", nil == false, 0 == false, "" == false, {} == {})
local t = {}
print(t == t, print == print, 0 == -0, 1/0 == math.huge)
local nan = 0/0
print(nan == nan, nan ~= nan, nan < nan, nan <= nan, nan > 1, nan < 1)
