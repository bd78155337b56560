-- Control flow: loops, break, nested scopes, recursion depth.
--## generic for with custom iterator
local function iter(limit)
  return function(state, ctl)
    if ctl >= limit then return nil end
    return ctl + 1, (ctl + 1) ^ 2
  end, nil, 0
end
for k, v in iter(4) do io_sq = (io_sq or "") .. k .. "=" .. v .. " " end
print(io_sq)
