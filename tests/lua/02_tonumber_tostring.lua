-- tonumber/tostring edge cases.
--## tonumber on strings
print(tonumber("10"), tonumber("  10  "), tonumber("0x1F"), tonumber("1e3"), tonumber(".5"), tonumber("5."))
print(tonumber(""), tonumber(" "), tonumber("abc"), tonumber("1 2"), tonumber("1e"), tonumber("0x"))
print(tonumber("-0x10"), tonumber("+5"), tonumber("- 5"), tonumber("1e+2"), tonumber("\t\n12\r"))
print(tonumber("inf"), tonumber("nan"), tonumber("1e400"), tonumber("-1e400"), tonumber("0x7fffffff"))
--## tonumber with bases
print(tonumber("ff", 16), tonumber("FF", 16), tonumber("777", 8), tonumber("1010", 2), tonumber("zz", 36))
print(tonumber("8", 8), tonumber("12", 3), tonumber(" 11 ", 2), tonumber("", 10), tonumber("z", 35))
print(tonumber(10, 16), tonumber("7fffffff", 16), tonumber("-ff", 16), tonumber("1.5", 10))
print(pcall(tonumber, "10", 1), pcall(tonumber, "10", 37))
--## tonumber on other types
print(tonumber(nil), tonumber(true), tonumber({}) , tonumber(42), tonumber(-0.5))
print(pcall(tonumber))
--## tostring of numbers
print(tostring(1), tostring(-1.5), tostring(1e15), tostring(1e16), tostring(2^31), tostring(2^53 + 1))
print(tostring(0.1), tostring(1/3), tostring(-1/3), tostring(123.456e-7), tostring(5e-324))
print(tostring(nil), tostring(true), tostring(false), tostring("x"))
print(#tostring(12345), tostring(12345):rep(2))
--## tostring of tables with __tostring
local t = setmetatable({}, {__tostring = function() return "T!" end})
print(tostring(t), t)
local u = setmetatable({}, {__tostring = function(self) return 42 end})
print(tostring(u))
print(type(tostring(print)), string.sub(tostring({}), 1, 7), string.sub(tostring(print), 1, 10))
--## number to string round trips
for _, v in ipairs({0, 1, -1, 0.5, 1e-5, 123456789, 2^40, 1e21, 3.14159265358979}) do
  local s = tostring(v)
  print(s, tonumber(s) == v, s + 0 == v)
end
