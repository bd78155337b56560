-- Base library odds and ends.
--## unpack with explicit n and nil holes
print(unpack({1, nil, 3}, 1, 3))
print(select("#", unpack({}, 1, 3)))
