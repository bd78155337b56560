-- Arithmetic operators and the %.14g number format.
--## special values
print(1/3, 1e15, 2^53, -0, 0/0 ~= 0/0)
print(1e100, 1e-100, 123456789012345, 1234567890123456, 0.1 + 0.2)
print(1/0, -1/0, math.huge, -math.huge)
print(2^63, 2^64, -2^63, 2^-1074, 2^1023 * 2)
