-- Whole programs: classic algorithms as a sanity check of everything together.
--## arithmetic loop accumulation
local acc = 0
for i = 1, 100000 do acc = (acc + i * 7) % 1000003 end
print(acc)
