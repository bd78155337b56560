-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## next directly
local n = {x = 1}
print(next(n), next(n, "x"), next({}), pcall(next, n, "nope"))
print(next({}, nil), type(next))
