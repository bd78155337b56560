-- Control flow: loops, break, nested scopes, recursion depth.
--## block scoping shadows
local v = "outer"
do local v = "inner"; print(v) end
print(v)
local v = "shadow"
print(v)
