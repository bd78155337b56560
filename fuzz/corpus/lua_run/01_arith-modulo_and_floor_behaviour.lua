-- Arithmetic operators and the %.14g number format.
--## modulo and floor behaviour
for _, a in ipairs({7, -7, 7.5, -7.5, 0}) do
  for _, b in ipairs({3, -3, 2.5, -2.5}) do
    line = a .. " % " .. b .. " = " .. (a % b)
    print(line)
  end
end
print(5 % math.huge, -5 % math.huge)
