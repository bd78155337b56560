-- # on tables with holes (the border must match the reference layout).
--## sequences
print(#{}, #{1}, #{1, 2, 3}, #{nil}, #{nil, nil}, #{1, nil}, #{nil, 2})
