-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## special chars in plain search and init
print(string.find("a+b", "+", 1, true), string.find("a+b", "a+b"), string.find("a+b", "a%+b"))
print(string.find("abc", "b", 0), string.find("abc", "b", -1), string.match("abc", ".", -1))
