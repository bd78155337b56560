-- Varargs, select, unpack.
--## unpack
print(unpack({1, 2, 3}))
print(unpack({1, 2, 3}, 2))
print(unpack({1, 2, 3}, 2, 5))
print(unpack({}, 1, 0), unpack({"x"}, 1, 1))
print(unpack({1, nil, 3}, 1, 3))
print(pcall(unpack, {}, 1, 1e8))
