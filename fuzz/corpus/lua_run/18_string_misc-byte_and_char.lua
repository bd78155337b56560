-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## byte and char
print(string.byte("ABC"), string.byte("ABC", 2), string.byte("ABC", 1, 3), string.byte("ABC", -1))
print(string.byte("ABC", 10), string.byte(""), select("#", string.byte("ABC", 3, 1)))
print(string.char(), string.char(72, 105), #string.char(0, 255), string.byte(string.char(200)))
