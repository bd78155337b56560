-- # on tables with holes (the border must match the reference layout).
--## assigned arrays with holes
local t = {}
for i = 1, 10 do t[i] = i end
t[5] = nil
print(#t)
t[10] = nil
print(#t)
t[9] = nil; t[8] = nil
print(#t)
