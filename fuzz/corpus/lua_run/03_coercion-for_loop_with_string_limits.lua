-- String <-> number coercions.
--## for loop with string limits
local acc = {}
for i = "1", "3" do acc[#acc + 1] = i end
print(table.concat(acc, ","))
print(pcall(function() for i = "a", 2 do end end))
print(pcall(function() for i = 1, 2, {} do end end))
