-- string.gsub and string.gmatch.
--## anchored gsub
print(string.gsub("aaa", "^a", "b"))
print(string.gsub("  x  ", "^%s+", ""))
print(string.gsub("hello", "l*", "L"))
