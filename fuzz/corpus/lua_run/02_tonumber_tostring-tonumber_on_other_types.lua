-- tonumber/tostring edge cases.
--## tonumber on other types
print(tonumber(nil), tonumber(true), tonumber({}) , tonumber(42), tonumber(-0.5))
print(pcall(tonumber))
