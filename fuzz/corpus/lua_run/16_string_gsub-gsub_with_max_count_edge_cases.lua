-- string.gsub and string.gmatch.
--## gsub with max count edge cases
print(string.gsub("aaaa", "a", "b", 0))
print(string.gsub("aaaa", "a", "b", -1))
print(string.gsub("aaaa", "a", "b", 2.7))
print(pcall(string.gsub, "a", "a"))
