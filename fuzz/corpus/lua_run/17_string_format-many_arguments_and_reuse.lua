-- string.format with every option.
--## many arguments and reuse
local parts = {}
for i = 1, 20 do parts[i] = "%d" end
print(string.format(table.concat(parts, ","), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20))
print(string.format("%s-%s", "a", "b", "ignored"))
