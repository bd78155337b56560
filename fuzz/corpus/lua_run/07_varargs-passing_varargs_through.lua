-- Varargs, select, unpack.
--## passing varargs through
local function pass(...) return ... end
local function count(...) return select("#", ...) end
print(count(pass(1, nil, nil)), count(pass()), count((pass(1, 2))))
