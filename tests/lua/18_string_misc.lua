-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## sub with every index form
local s = "hello world"
print(s:sub(1, 5), s:sub(7), s:sub(-5), s:sub(-5, -3), s:sub(0), s:sub(5, 1), s:sub(100), s:sub(-100, 2))
print(("x"):sub(2), ("abc"):sub(2, 2), ("abc"):sub(3, -1), ("abc"):sub(-1, -2), #s:sub(2.9, 4.1))
--## byte and char
print(string.byte("ABC"), string.byte("ABC", 2), string.byte("ABC", 1, 3), string.byte("ABC", -1))
print(string.byte("ABC", 10), string.byte(""), select("#", string.byte("ABC", 3, 1)))
print(string.char(), string.char(72, 105), #string.char(0, 255), string.byte(string.char(200)))
--## rep reverse lower upper len
print(string.rep("ab", 3), string.rep("x", 0), string.rep("x", -5), #string.rep("abc", 1000), string.rep("", 1e6))
print(string.reverse("hello"), string.reverse(""), string.lower("MiXeD 123"), string.upper("MiXeD \200"))
print(string.len(""), string.len("\0\0"), #"abc\0def", ("abc"):len())
--## method call syntax on string values
local w = "Word"
print(w:upper():lower():rep(2, nil), ("%d items"):format(3), w:byte(-1), #w:rep(3))
print(("a,b,c"):gsub(",", ";"))
--## string comparison and concat of many parts
local parts = {}
for i = 1, 100 do parts[#parts + 1] = tostring(i) end
local joined = table.concat(parts)
print(#joined, joined:sub(1, 20), joined:sub(-10))
local built = ""
for i = 1, 50 do built = built .. i % 10 end
print(built)
--## long strings and escapes
local ls = [[
first line
second "quoted" \n not escaped]]
print(ls, #ls)
local lv = [==[with ]] inside]==]
print(lv)
print("tab\tnew\\n", 'single \'q\'', "\65\066\x", "\z" == "z", "a\
b")
--## decimal escapes and high bytes
local bytes = "\0\1\127\128\255"
print(#bytes, bytes:byte(1, -1))
print(("\228\184\173"):len(), string.format("%q", "\1\2\127"))
--## string library functions through the string table
print(string.upper == ("").upper, type(string), string.len("xyz"))
for _, name in ipairs({"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep", "reverse", "sub", "upper"}) do
  io_write = (io_write or "") .. name .. ":" .. type(string[name]) .. " "
end
print(io_write)
