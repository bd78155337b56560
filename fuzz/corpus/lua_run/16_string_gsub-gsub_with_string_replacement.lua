-- string.gsub and string.gmatch.
--## gsub with string replacement
print(string.gsub("hello world", "o", "0"))
print(string.gsub("hello world", "o", "0", 1))
print(string.gsub("hello", "", "-"))
print(string.gsub("abc", "%w", "%0%0"))
print(string.gsub("hello world", "(%w+) (%w+)", "%2 %1"))
print(string.gsub("100%", "%%", " percent"))
print(string.gsub("abc", "b", "%%"))
print(pcall(string.gsub, "abc", "b", "%2"))
print(pcall(string.gsub, "abc", "(b)", "%9"))
