-- The math library (math.random aside: Redis replaces it).
--## powers roots logs
print(math.sqrt(16), math.sqrt(2), math.pow(2, 10), math.pow(2, 0.5), math.exp(0), math.exp(1))
print(math.log(1), math.log(math.exp(2)), math.log10(1000), math.log10(2), math.sqrt(-1) ~= math.sqrt(-1))
print(math.ldexp(1, 10), math.frexp(8), math.frexp(0), math.frexp(-3))
