-- String <-> number coercions.
--## string library accepts numbers
print(string.len(12345), string.rep(1, 3), string.upper(1e100), pcall(function() return (12):rep(2) end))
print(string.format("%d %s", "42", 42), string.sub(123456, 2, 4), string.byte(5))
