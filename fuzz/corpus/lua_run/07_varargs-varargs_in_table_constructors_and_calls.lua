-- Varargs, select, unpack.
--## varargs in table constructors and calls
local function three() return 1, 2, 3 end
local t = {three(), three()}
print(#t, t[1], t[2], t[4])
local u = {three(), (three())}
print(#u)
local v = {(three()), three(), n = 5}
print(#v, v.n)
print(math.max(three()), string.format("%d-%d-%d", three()))
