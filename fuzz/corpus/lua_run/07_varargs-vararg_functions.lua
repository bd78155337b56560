-- Varargs, select, unpack.
--## vararg functions
local function f(...) return select("#", ...), ... end
print(f())
print(f(nil))
print(f(1, nil, nil))
local function g(a, ...) local b, c = ... ; return a, b, c end
print(g(1), g(1, 2), g(1, 2, 3, 4))
