-- Comparison rules.
--## string ordering
print("a" < "b", "a" < "ab", "" < "a", "Z" < "a", "abc" <= "abc", "b" > "abc")
print("a\0b" < "a\0c", "a\0" > "a", "10" < "9", "\255" > "a")
