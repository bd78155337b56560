-- # on tables with holes (the border must match the reference layout).
--## string length operator
print(#"", #"abc", #"\0", #[[
x]], #("x"):rep(10))
