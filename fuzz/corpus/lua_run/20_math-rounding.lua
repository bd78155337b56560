-- The math library (math.random aside: Redis replaces it).
--## rounding
print(math.floor(3.7), math.floor(-3.7), math.ceil(3.2), math.ceil(-3.2), math.floor(5), math.ceil(-0.5))
print(math.floor(2^40 + 0.5), math.fmod(7, 3), math.fmod(-7, 3), math.fmod(7, -3), math.fmod(5.5, 2))
print(math.modf(3.7), math.modf(-3.7), math.modf(5), math.modf(1/0))
