-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## plain find
print(string.find("hello world", "o"), string.find("hello world", "o", 6), string.find("hello", "xyz"))
print(string.find("a.b.c", ".", 1, true), string.find("a.b.c", "%."), string.find("abc", "", 10))
print(string.find("abc", "", 4), string.find("abc", "", 3), string.find("", ""))
print(string.find("hello", "l", -2), string.find("hello", "h", -100), string.find("hello", "lo", 100))
