-- Whole programs: classic algorithms as a sanity check of everything together.
--## string building and word frequency
local text = "the quick brown fox jumps over the lazy dog the fox"
local freq = {}
for w in text:gmatch("%a+") do freq[w] = (freq[w] or 0) + 1 end
local words = {}
for w, c in pairs(freq) do words[#words + 1] = w end
table.sort(words, function(a, b) if freq[a] ~= freq[b] then return freq[a] > freq[b] end return a < b end)
local out = {}
for i = 1, 4 do out[i] = words[i] .. "=" .. freq[words[i]] end
print(table.concat(out, " "))
