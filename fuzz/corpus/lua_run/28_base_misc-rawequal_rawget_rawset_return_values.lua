-- Base library odds and ends.
--## rawequal rawget rawset return values
local r = {}
print(rawset(r, "a", 1) == r, rawget(r, "a"), rawequal(r, r))
