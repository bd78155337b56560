-- Base library odds and ends.
--## select and unpack interplay
local t = {n = 3, 1, 2, 3}
print(select("#", unpack(t)), unpack(t, 2, t.n))
