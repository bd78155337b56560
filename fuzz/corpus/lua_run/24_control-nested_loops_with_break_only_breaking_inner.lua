-- Control flow: loops, break, nested scopes, recursion depth.
--## nested loops with break only breaking inner
local pairs_found = {}
for a = 1, 4 do
  for b = 1, 4 do
    if b > a then break end
    if (a + b) % 3 == 0 then pairs_found[#pairs_found + 1] = a .. b end
  end
end
print(table.concat(pairs_found, " "))
