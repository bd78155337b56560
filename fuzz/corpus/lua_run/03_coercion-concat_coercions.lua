-- String <-> number coercions.
--## concat coercions
print(1 .. "", 1.5 .. "|", -0.0 .. "", 2^63 .. "", 10 .. 20)
print(pcall(function() return "a" .. nil end))
print(pcall(function() return "a" .. true end))
print(pcall(function() return {} .. "a" end))
