-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## balanced %b
print(string.match("f(a(b)c)d", "%b()"), string.match("[[x]]y", "%b[]"), string.match("no parens", "%b()"))
print(string.find("if (a and (b or c)) then", "%b()"))
