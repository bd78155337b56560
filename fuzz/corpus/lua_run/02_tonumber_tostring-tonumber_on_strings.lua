-- tonumber/tostring edge cases.
--## tonumber on strings
print(tonumber("10"), tonumber("  10  "), tonumber("0x1F"), tonumber("1e3"), tonumber(".5"), tonumber("5."))
print(tonumber(""), tonumber(" "), tonumber("abc"), tonumber("1 2"), tonumber("1e"), tonumber("0x"))
print(tonumber("-0x10"), tonumber("+5"), tonumber("- 5"), tonumber("1e+2"), tonumber("\t\n12\r"))
print(tonumber("inf"), tonumber("nan"), tonumber("1e400"), tonumber("-1e400"), tonumber("0x7fffffff"))
