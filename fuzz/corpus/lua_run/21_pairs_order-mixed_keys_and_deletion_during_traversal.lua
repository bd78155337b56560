-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## mixed keys and deletion during traversal
local mix = {1, 2, 3, x = "x", y = "y", [10] = 10, [2.5] = "f"}
for k in pairs(mix) do if type(k) == "string" then mix[k] = nil end end
print(keys(mix))
