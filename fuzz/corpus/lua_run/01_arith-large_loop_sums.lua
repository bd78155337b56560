-- Arithmetic operators and the %.14g number format.
--## large loop sums
local s = 0
for i = 1, 10000 do s = s + i * i end
print(s, s / 10000, s % 97)
local f = 1
for i = 1, 25 do f = f * i end
print(f)
