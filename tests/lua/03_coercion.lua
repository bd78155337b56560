-- String <-> number coercions.
--## arithmetic on numeric strings
print("10" + 1, "3" * "4", "2" ^ "3", "10" / "4", "7" % "3", -"2", "0x10" + 0, " 5 " * 2)
print("1e2" + 0, "  .5" + 0, "5" - "5", type("10" + 0))
--## failing arithmetic coercion
print(pcall(function() return "abc" + 1 end))
print(pcall(function() return {} + 1 end))
print(pcall(function() return "1" + nil end))
print(pcall(function() local s = "x"; return -s end))
--## concat coercions
print(1 .. "", 1.5 .. "|", -0.0 .. "", 2^63 .. "", 10 .. 20)
print(pcall(function() return "a" .. nil end))
print(pcall(function() return "a" .. true end))
print(pcall(function() return {} .. "a" end))
--## strings are not numbers in comparisons and keys
print("10" == 10, "abc" < "abd", pcall(function() return "10" < 5 end))
local t = {}
t[1] = "num"; t["1"] = "str"
print(t[1], t["1"], t[1.0], #t)
--## string library accepts numbers
print(string.len(12345), string.rep(1, 3), string.upper(1e100), pcall(function() return (12):rep(2) end))
print(string.format("%d %s", "42", 42), string.sub(123456, 2, 4), string.byte(5))
--## for loop with string limits
local acc = {}
for i = "1", "3" do acc[#acc + 1] = i end
print(table.concat(acc, ","))
print(pcall(function() for i = "a", 2 do end end))
print(pcall(function() for i = 1, 2, {} do end end))
