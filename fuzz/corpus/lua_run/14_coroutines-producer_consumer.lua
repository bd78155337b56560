-- Coroutines.
--## producer consumer
local function producer()
  return coroutine.create(function()
    for _, w in ipairs({"alpha", "beta", "gamma"}) do coroutine.yield(w) end
    return nil
  end)
end
local function consumer(p)
  local out = {}
  while true do
    local ok, v = coroutine.resume(p)
    if not v then break end
    out[#out + 1] = v:upper()
  end
  return table.concat(out, "+")
end
print(consumer(producer()))
