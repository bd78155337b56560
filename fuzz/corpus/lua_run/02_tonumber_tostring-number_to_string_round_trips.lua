-- tonumber/tostring edge cases.
--## number to string round trips
for _, v in ipairs({0, 1, -1, 0.5, 1e-5, 123456789, 2^40, 1e21, 3.14159265358979}) do
  local s = tostring(v)
  print(s, tonumber(s) == v, s + 0 == v)
end
