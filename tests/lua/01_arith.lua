-- Arithmetic operators and the %.14g number format.
--## basic operators
print(1 + 2, 7 - 10, 6 * 7, 7 / 2, 7 % 3, 2 ^ 10)
print(-7 % 3, 7 % -3, -7 % -3, 5.5 % 2, -5.5 % 2)
print(1 / 3, 2 / 3, 10 / 4, 1e300 * 1e10, -1e300 * 1e10)
--## special values
print(1/3, 1e15, 2^53, -0, 0/0 ~= 0/0)
print(1e100, 1e-100, 123456789012345, 1234567890123456, 0.1 + 0.2)
print(1/0, -1/0, math.huge, -math.huge)
print(2^63, 2^64, -2^63, 2^-1074, 2^1023 * 2)
--## precedence
print(2 + 3 * 4, (2 + 3) * 4, 2 ^ 3 ^ 2, -2 ^ 2, (-2) ^ 2)
print(1 .. 2 .. 3, "a" .. 1 + 2, 2 * 3 .. "")
print(not nil == true, not (1 == 2), #"abc" + 1, -#"ab")
print(1 < 2 == true, "x" .. "y" == "xy")
--## integer-valued floats
print(3.0, -3.0, 1e14, 1e15, 1e16, 123456789012345678)
print(100000000000000, 99999999999999.9, 0.1, 1/7)
--## modulo and floor behaviour
for _, a in ipairs({7, -7, 7.5, -7.5, 0}) do
  for _, b in ipairs({3, -3, 2.5, -2.5}) do
    line = a .. " % " .. b .. " = " .. (a % b)
    print(line)
  end
end
print(5 % math.huge, -5 % math.huge)
--## hex and exponent literals
print(0x10, 0xff, 0XA, 0x7fffffff, 0xffffffff, 0x100000000)
print(1e2, 1E2, .5, 5., 3e-2, 0x0)
--## numeric for loops
local acc = {}
for i = 1, 3 do acc[#acc + 1] = i end
for i = 3, 1, -1 do acc[#acc + 1] = i end
for i = 1, 2, 0.5 do acc[#acc + 1] = i end
for i = 1, 0 do acc[#acc + 1] = "never" end
for i = 0.1, 0.35, 0.1 do acc[#acc + 1] = i end
print(table.concat(acc, " "))
--## for loop variable is a copy
local n = 0
for i = 1, 5 do
  local j = i
  i = i * 10
  n = n + i + j
end
print(n)
--## large loop sums
local s = 0
for i = 1, 10000 do s = s + i * i end
print(s, s / 10000, s % 97)
local f = 1
for i = 1, 25 do f = f * i end
print(f)
