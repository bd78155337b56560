-- Arithmetic operators and the %.14g number format.
--## hex and exponent literals
print(0x10, 0xff, 0XA, 0x7fffffff, 0xffffffff, 0x100000000)
print(1e2, 1E2, .5, 5., 3e-2, 0x0)
