-- tonumber/tostring edge cases.
--## tonumber with bases
print(tonumber("ff", 16), tonumber("FF", 16), tonumber("777", 8), tonumber("1010", 2), tonumber("zz", 36))
print(tonumber("8", 8), tonumber("12", 3), tonumber(" 11 ", 2), tonumber("", 10), tonumber("z", 35))
print(tonumber(10, 16), tonumber("7fffffff", 16), tonumber("-ff", 16), tonumber("1.5", 10))
print(pcall(tonumber, "10", 1), pcall(tonumber, "10", 37))
