-- string.gsub and string.gmatch.
--## gsub with table replacement
local t = {name = "Lua", ver = 5.1}
print(string.gsub("$name is $ver, $missing", "%$(%w+)", t))
print(string.gsub("a b", "%w", {a = false, b = "B"}))
print(pcall(string.gsub, "a", "a", {a = {}}))
