-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## sets and ranges
print(string.match("abc123", "[a-c]+"), string.match("abc123", "[1-2]+"), string.match("a-b", "[%-]"))
print(string.match("x]y", "[]]"), string.match("a^b", "[b^]+"), string.match("hello", "[^aeiou]+"))
