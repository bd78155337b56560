-- error, pcall, xpcall: levels, non-string values, nesting.
--## assert
print(pcall(assert, false))
print(pcall(assert, nil, "custom message"))
print(pcall(assert, 1 == 1, "unused"))
print(assert(1, 2, 3))
print(pcall(assert, false, {1}))
print(pcall(assert))
