-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## captures
print(string.match("key=value", "(%w+)=(%w+)"))
print(string.match("2024-01-15", "(%d+)-(%d+)-(%d+)"))
print(string.match("hello", "()ll()"))
print(string.match("abc", "((a)(b))"))
print(string.find("abcabc", "(b)(c)", 3))
print(string.match("hello hello", "(h%w+) %1"), string.match("ab ba", "(a)(b) %2%1"))
