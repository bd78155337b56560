-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## quantifiers
print(string.match("aaab", "a*"), string.match("aaab", "a+"), string.match("aaab", "a-b"), string.match("b", "a?b"))
print(string.match("<<x>>", "<(.-)>"), string.match("<<x>>", "<(.*)>"), string.match("abc", "a.-$"))
print(string.find("xxaaay", "a-y"), string.find("aaa", "a-"), string.match("  trim  ", "^%s*(.-)%s*$") .. "|")
