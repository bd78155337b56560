-- Arithmetic operators and the %.14g number format.
--## precedence
print(2 + 3 * 4, (2 + 3) * 4, 2 ^ 3 ^ 2, -2 ^ 2, (-2) ^ 2)
print(1 .. 2 .. 3, "a" .. 1 + 2, 2 * 3 .. "")
print(not nil == true, not (1 == 2), #"abc" + 1, -#"ab")
print(1 < 2 == true, "x" .. "y" == "xy")
