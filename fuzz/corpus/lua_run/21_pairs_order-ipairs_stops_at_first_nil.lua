-- pairs/next iteration order for string and number keys (must equal the reference interpreter).
local function keys(t)
  local out = {}
  for k, v in pairs(t) do out[#out + 1] = tostring(k) .. "=" .. tostring(v) end
  return table.concat(out, " ")
end
--## ipairs stops at first nil
local out = {}
for i, v in ipairs({1, 2, nil, 4}) do out[#out + 1] = i .. ":" .. v end
print(table.concat(out, " "))
local cnt = 0
for i, v in ipairs({[2] = 2}) do cnt = cnt + 1 end
print(cnt)
