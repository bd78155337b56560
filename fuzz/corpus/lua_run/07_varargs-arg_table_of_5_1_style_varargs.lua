-- Varargs, select, unpack.
--## arg table of 5.1 style varargs
local function h(...)
  local t = {...}
  return #t, t[1], t[select("#", ...)]
end
print(h(5, 6, 7))
