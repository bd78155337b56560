-- Arithmetic operators and the %.14g number format.
--## for loop variable is a copy
local n = 0
for i = 1, 5 do
  local j = i
  i = i * 10
  n = n + i + j
end
print(n)
