-- # on tables with holes (the border must match the reference layout).
--## sequences
print(#{}, #{1}, #{1, 2, 3}, #{nil}, #{nil, nil}, #{1, nil}, #{nil, 2})
--## holes in constructors
print(#{1, 2, nil, 4}, #{1, nil, 3}, #{nil, nil, 3}, #{1, 2, 3, nil, 5, nil}, #{1, nil, nil, nil, 5})
--## assigned arrays with holes
local t = {}
for i = 1, 10 do t[i] = i end
t[5] = nil
print(#t)
t[10] = nil
print(#t)
t[9] = nil; t[8] = nil
print(#t)
--## hash-part integers
local h = {}
h[1] = 1; h[2] = 2; h[4] = 4
print(#h)
local h2 = {}
h2[3] = 3; h2[2] = 2; h2[1] = 1
print(#h2)
local h3 = {}
for i = 100, 1, -1 do h3[i] = i end
print(#h3)
--## string length operator
print(#"", #"abc", #"\0", #[[
x]], #("x"):rep(10))
--## length after removals
local r = {1, 2, 3, 4, 5, 6, 7, 8}
for i = 8, 1, -2 do r[i] = nil end
print(#r)
local q = {n = 1, 1, 2}
print(#q, q.n)
--## table.insert appends at border
local b = {1, 2, nil, 4}
table.insert(b, "x")
print(b[5], b[3], #b)
