-- string.gsub and string.gmatch.
--## gsub with string replacement
print(string.gsub("hello world", "o", "0"))
print(string.gsub("hello world", "o", "0", 1))
print(string.gsub("hello", "", "-"))
print(string.gsub("abc", "%w", "%0%0"))
print(string.gsub("hello world", "(%w+) (%w+)", "%2 %1"))
print(string.gsub("100%", "%%", " percent"))
print(string.gsub("abc", "b", "%%"))
print(pcall(string.gsub, "abc", "b", "%2"))
print(pcall(string.gsub, "abc", "(b)", "%9"))
--## gsub with table replacement
local t = {name = "Lua", ver = 5.1}
print(string.gsub("$name is $ver, $missing", "%$(%w+)", t))
print(string.gsub("a b", "%w", {a = false, b = "B"}))
print(pcall(string.gsub, "a", "a", {a = {}}))
--## gsub with function replacement
print(string.gsub("1 2 3", "%d", function(d) return d * 2 end))
print(string.gsub("abc", "%w", function(c) if c == "b" then return nil end return c:upper() end))
print(string.gsub("x=1, y=2", "(%w+)=(%w+)", function(k, v) return v .. "=" .. k end))
print(string.gsub("abc", "()", function(p) return p end))
print(pcall(string.gsub, "abc", "a", function() return {} end))
--## anchored gsub
print(string.gsub("aaa", "^a", "b"))
print(string.gsub("  x  ", "^%s+", ""))
print(string.gsub("hello", "l*", "L"))
--## gsub with max count edge cases
print(string.gsub("aaaa", "a", "b", 0))
print(string.gsub("aaaa", "a", "b", -1))
print(string.gsub("aaaa", "a", "b", 2.7))
print(pcall(string.gsub, "a", "a"))
--## gmatch iteration
local out = {}
for w in string.gmatch("one two  three", "%a+") do out[#out + 1] = w end
print(#out, table.concat(out, ","))
local kv = {}
for k, v in string.gmatch("a=1, b=2, c=3", "(%w+)=(%w+)") do kv[#kv + 1] = k .. v end
print(table.concat(kv, ";"))
local empties = 0
for _ in string.gmatch("abc", "") do empties = empties + 1 end
print(empties)
local anchored = {}
for w in string.gmatch("aaa", "^a") do anchored[#anchored + 1] = w end
print(#anchored)
--## gmatch with position captures
local pos = {}
for p, w in string.gmatch("ab cd ef", "()(%a+)") do pos[#pos + 1] = p .. ":" .. w end
print(table.concat(pos, " "))
--## string escapes via gsub
local function escape(s) return (s:gsub("[%c\"\\]", function(c) return string.format("\\%03d", c:byte()) end)) end
print(escape("a\"b\\c\n\0"))
--## gsub on long strings
local long = string.rep("ab", 1000)
local r, n = long:gsub("ab", "x")
print(#r, n, select(2, long:gsub("b", "")))
