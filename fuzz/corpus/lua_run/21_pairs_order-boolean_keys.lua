-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## boolean keys
print(keys({[true] = "t", [false] = "f"}))
