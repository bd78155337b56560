-- string.format with every option.
--## integers
print(string.format("%d %i %5d %-5d| %05d %+d % d", 42, -7, 42, 42, 42, 42, 42))
print(string.format("%d %d %d", 3.7, -3.7, 2^31), string.format("%x %X %o", 255, 255, 8))
print(string.format("%#x %#o %.3d %3.2d", 255, 8, 5, 5))
print(string.format("%d", -0), string.format("%u", 42), string.format("%c%c%c", 76, 117, 97))
