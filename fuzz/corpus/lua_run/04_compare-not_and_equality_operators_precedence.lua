-- Comparison rules.
--## not and equality operators precedence
print(not 1 == 2, not (1 == 2), 1 ~= 2, "1" ~= 1)
