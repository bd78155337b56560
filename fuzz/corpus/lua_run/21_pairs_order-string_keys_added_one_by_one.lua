-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## string keys added one by one
local t = {}
for _, k in ipairs({"name", "age", "city", "zip", "email", "phone", "country", "x", "y", "z"}) do t[k] = #k end
print(keys(t))
