-- Arithmetic operators and the %.14g number format.
--## integer-valued floats
print(3.0, -3.0, 1e14, 1e15, 1e16, 123456789012345678)
print(100000000000000, 99999999999999.9, 0.1, 1/7)
