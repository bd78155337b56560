-- The math library (math.random aside: Redis replaces it).
--## trigonometry
print(math.sin(0), math.cos(0), math.tan(0), math.sin(math.pi / 2), math.cos(math.pi))
print(math.asin(1), math.acos(1), math.atan(1), math.atan2(1, 1), math.atan2(-1, -1))
print(math.sinh(0), math.cosh(0), math.tanh(0), math.sinh(1), math.tanh(100))
print(math.deg(math.pi), math.rad(180), math.pi, math.huge)
