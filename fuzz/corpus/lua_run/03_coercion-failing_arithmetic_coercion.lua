-- String <-> number coercions.
--## failing arithmetic coercion
print(pcall(function() return "abc" + 1 end))
print(pcall(function() return {} + 1 end))
print(pcall(function() return "1" + nil end))
print(pcall(function() local s = "x"; return -s end))
