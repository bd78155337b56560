-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## string comparison and concat of many parts
local parts = {}
for i = 1, 100 do parts[#parts + 1] = tostring(i) end
local joined = table.concat(parts)
print(#joined, joined:sub(1, 20), joined:sub(-10))
local built = ""
for i = 1, 50 do built = built .. i % 10 end
print(built)
