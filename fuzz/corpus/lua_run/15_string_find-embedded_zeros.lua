-- string.find and string.match: plain, patterns, captures, anchors, %b, %f.
--## embedded zeros
local z = "a\0b\0c"
print(#z, string.find(z, "\0"), string.find(z, "%z"), string.match(z, "b%z(.)"))
