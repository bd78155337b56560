-- String <-> number coercions.
--## strings are not numbers in comparisons and keys
print("10" == 10, "abc" < "abd", pcall(function() return "10" < 5 end))
local t = {}
t[1] = "num"; t["1"] = "str"
print(t[1], t["1"], t[1.0], #t)
