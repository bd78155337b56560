-- Comparison rules.
--## rawequal
print(rawequal(1, 1), rawequal("a", "a"), rawequal({}, {}), rawequal(t, t), rawequal(1, "1"))
