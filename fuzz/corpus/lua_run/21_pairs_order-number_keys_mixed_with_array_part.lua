-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## number keys mixed with array part
print(keys({10, 20, 30, [5] = 50, [100] = 1, [-1] = 2, [0] = 3, [1.5] = 4}))
local m = {}
for i = 20, 1, -1 do m[i * 3] = i end
print(keys(m))
