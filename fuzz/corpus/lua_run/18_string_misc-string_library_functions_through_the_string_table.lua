-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## string library functions through the string table
print(string.upper == ("").upper, type(string), string.len("xyz"))
for _, name in ipairs({"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "rep", "reverse", "sub", "upper"}) do
  io_write = (io_write or "") .. name .. ":" .. type(string[name]) .. " "
end
print(io_write)
