-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## sub with every index form
local s = "hello world"
print(s:sub(1, 5), s:sub(7), s:sub(-5), s:sub(-5, -3), s:sub(0), s:sub(5, 1), s:sub(100), s:sub(-100, 2))
print(("x"):sub(2), ("abc"):sub(2, 2), ("abc"):sub(3, -1), ("abc"):sub(-1, -2), #s:sub(2.9, 4.1))
