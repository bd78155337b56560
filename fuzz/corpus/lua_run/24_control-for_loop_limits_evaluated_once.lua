-- Control flow: loops, break, nested scopes, recursion depth.
--## for loop limits evaluated once
local lim = 3
local count = 0
for j = 1, lim do lim = 10; count = count + 1 end
print(count, lim)
