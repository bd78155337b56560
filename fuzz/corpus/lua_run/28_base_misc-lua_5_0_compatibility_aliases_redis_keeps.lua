-- Base library odds and ends.
--## Lua 5.0 compatibility aliases Redis keeps
print(math.mod(7, 3), math.mod(-7, 3), type(string.gfind), table.getn({1, 2}))
local acc = {}
for w in string.gfind("a b c", "%a") do acc[#acc + 1] = w end
print(table.concat(acc))
