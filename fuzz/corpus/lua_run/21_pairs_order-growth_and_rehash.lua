-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## growth and rehash
local g = {}
for i = 1, 40 do g["k" .. i] = i end
print(keys(g))
for i = 1, 40, 2 do g["k" .. i] = nil end
g.new1 = true; g.new2 = false
print(keys(g))
