-- string.gsub and string.gmatch.
--## gmatch with position captures
local pos = {}
for p, w in string.gmatch("ab cd ef", "()(%a+)") do pos[#pos + 1] = p .. ":" .. w end
print(table.concat(pos, " "))
