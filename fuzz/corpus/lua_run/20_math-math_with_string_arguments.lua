-- The math library (math.random aside: Redis replaces it).
--## math with string arguments
print(math.floor("3.5"), math.sqrt("9"), pcall(math.floor, "x"), pcall(math.floor))
