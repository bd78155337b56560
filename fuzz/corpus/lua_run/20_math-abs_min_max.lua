-- The math library (math.random aside: Redis replaces it).
--## abs min max
print(math.abs(-5), math.abs(5), math.abs(-0.0), math.max(1, 5, 3), math.min(1, 5, -3), math.max(-1), math.min(2.5, 2.25))
print(pcall(math.max), pcall(math.min))
print(math.max(1, "10"), math.min("3", 2))
