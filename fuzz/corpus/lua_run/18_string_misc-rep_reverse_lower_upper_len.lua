-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## rep reverse lower upper len
print(string.rep("ab", 3), string.rep("x", 0), string.rep("x", -5), #string.rep("abc", 1000), string.rep("", 1e6))
print(string.reverse("hello"), string.reverse(""), string.lower("MiXeD 123"), string.upper("MiXeD \200"))
print(string.len(""), string.len("\0\0"), #"abc\0def", ("abc"):len())
