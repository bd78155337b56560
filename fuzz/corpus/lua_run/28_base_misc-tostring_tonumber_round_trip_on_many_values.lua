-- Base library odds and ends.
--## tostring tonumber round trip on many values
local vals = {0, -0, 1, -1, 0.5, 1e10, 1e-10, 123.456, 2^24, 2^31 - 1, -2^31}
local out = {}
for i, v in ipairs(vals) do out[i] = tostring(v) end
print(table.concat(out, " "))
