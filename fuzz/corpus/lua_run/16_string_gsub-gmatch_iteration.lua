-- string.gsub and string.gmatch.
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
