-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## string keys in constructor
print(keys({alpha = 1, beta = 2, gamma = 3, delta = 4, epsilon = 5}))
print(keys({a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8, i = 9}))
