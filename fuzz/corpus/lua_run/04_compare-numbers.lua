-- Comparison rules.
--## numbers
print(1 < 2, 2 <= 2, 3 > 2, 3 >= 4, -1 < -0.5, 1e308 < math.huge, -math.huge < -1e308)
