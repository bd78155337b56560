-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## decimal escapes and high bytes
local bytes = "\0\1\127\128\255"
print(#bytes, bytes:byte(1, -1))
print(("\228\184\173"):len(), string.format("%q", "\1\2\127"))
