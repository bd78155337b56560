-- Comparison rules.
--## equality across types
print(1 == 1.0, "a" == "a", nil == false, 0 == false, "" == false, {} == {})
local t = {}
print(t == t, print == print, 0 == -0, 1/0 == math.huge)
local nan = 0/0
print(nan == nan, nan ~= nan, nan < nan, nan <= nan, nan > 1, nan < 1)
--## string ordering
print("a" < "b", "a" < "ab", "" < "a", "Z" < "a", "abc" <= "abc", "b" > "abc")
print("a\0b" < "a\0c", "a\0" > "a", "10" < "9", "\255" > "a")
--## mixed type comparison errors
print(pcall(function() return 1 < "2" end))
print(pcall(function() return {} < {} end))
print(pcall(function() return nil < 1 end))
print(pcall(function() return true <= false end))
print(pcall(function() return print > print end))
--## numbers
print(1 < 2, 2 <= 2, 3 > 2, 3 >= 4, -1 < -0.5, 1e308 < math.huge, -math.huge < -1e308)
--## not and equality operators precedence
print(not 1 == 2, not (1 == 2), 1 ~= 2, "1" ~= 1)
--## rawequal
print(rawequal(1, 1), rawequal("a", "a"), rawequal({}, {}), rawequal(t, t), rawequal(1, "1"))
