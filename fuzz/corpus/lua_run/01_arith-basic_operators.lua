-- Arithmetic operators and the %.14g number format.
--## basic operators
print(1 + 2, 7 - 10, 6 * 7, 7 / 2, 7 % 3, 2 ^ 10)
print(-7 % 3, 7 % -3, -7 % -3, 5.5 % 2, -5.5 % 2)
print(1 / 3, 2 / 3, 10 / 4, 1e300 * 1e10, -1e300 * 1e10)
