-- Varargs, select, unpack.
--## select
print(select("#"), select("#", nil), select("#", nil, nil), select("#", 1, nil, 3, nil))
print(select(2, "a", "b", "c"), select(3, "a", "b", "c"), select(4, "a", "b", "c"))
print(select(-1, "a", "b", "c"), select(-3, "a", "b", "c"))
print(pcall(select, -4, "a", "b", "c"))
print(pcall(select, 0, "a"))
--## vararg functions
local function f(...) return select("#", ...), ... end
print(f())
print(f(nil))
print(f(1, nil, nil))
local function g(a, ...) local b, c = ... ; return a, b, c end
print(g(1), g(1, 2), g(1, 2, 3, 4))
--## arg table of 5.1 style varargs
local function h(...)
  local t = {...}
  return #t, t[1], t[select("#", ...)]
end
print(h(5, 6, 7))
--## unpack
print(unpack({1, 2, 3}))
print(unpack({1, 2, 3}, 2))
print(unpack({1, 2, 3}, 2, 5))
print(unpack({}, 1, 0), unpack({"x"}, 1, 1))
print(unpack({1, nil, 3}, 1, 3))
print(pcall(unpack, {}, 1, 1e8))
--## varargs in table constructors and calls
local function three() return 1, 2, 3 end
local t = {three(), three()}
print(#t, t[1], t[2], t[4])
local u = {three(), (three())}
print(#u)
local v = {(three()), three(), n = 5}
print(#v, v.n)
print(math.max(three()), string.format("%d-%d-%d", three()))
--## passing varargs through
local function pass(...) return ... end
local function count(...) return select("#", ...) end
print(count(pass(1, nil, nil)), count(pass()), count((pass(1, 2))))
--## vararg in main chunk
print(select("#", ...))
