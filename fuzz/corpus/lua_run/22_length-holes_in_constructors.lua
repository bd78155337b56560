-- # on tables with holes (the border must match the reference layout).
--## holes in constructors
print(#{1, 2, nil, 4}, #{1, nil, 3}, #{nil, nil, 3}, #{1, 2, 3, nil, 5, nil}, #{1, nil, nil, nil, 5})
