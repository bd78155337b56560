-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## anchors
print(string.find("abc", "^b"), string.find("abc", "^a"), string.find("abc", "c$"), string.find("a$c", "$c"))
print(string.match("^start", "^^s"), string.find("abc", "^abc$"), string.match("x^y", "x^y"))
