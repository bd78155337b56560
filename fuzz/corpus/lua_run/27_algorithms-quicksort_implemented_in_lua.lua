-- Whole programs: classic algorithms as a sanity check of everything together.
--## quicksort implemented in Lua
local function qsort(t, lo, hi)
  lo = lo or 1; hi = hi or #t
  if lo < hi then
    local pivot, i = t[hi], lo - 1
    for j = lo, hi - 1 do if t[j] <= pivot then i = i + 1; t[i], t[j] = t[j], t[i] end end
    t[i + 1], t[hi] = t[hi], t[i + 1]
    qsort(t, lo, i); qsort(t, i + 2, hi)
  end
  return t
end
print(table.concat(qsort({9, 3, 7, 1, 8, 2, 6, 4, 5, 0, 3, 7}), ","))
