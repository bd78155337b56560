-- The math library (math.random aside: Redis replaces it).
--## random exists
print(type(math.random), type(math.randomseed))
