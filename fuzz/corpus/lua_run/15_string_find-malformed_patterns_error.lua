-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## malformed patterns error
print(pcall(string.find, "a", "[a"))
print(pcall(string.find, "a", "%"))
print(pcall(string.match, "a", "(a"))
print(pcall(string.match, "a", "a)"))
print(pcall(string.match, "a", "%1"))
print(pcall(string.find, "a", "%b"))
print(pcall(string.find, "a", "%f"))
