-- string.gsub and string.gmatch.
--## string escapes via gsub
local function escape(s) return (s:gsub("[%c\"\\]", function(c) return string.format("\\%03d", c:byte()) end)) end
print(escape("a\"b\\c\n\0"))
