-- string.format with every option.
--## large values
print(string.format("%d", 2^53), string.format("%.14g", 2^63), string.format("%x", 2^32 + 1))
print(string.format("%5.2f%%", 99.555), string.format("[%-8s][%8s]", "left", "right"))
