-- The math library (math.random aside: Redis replaces it).
--## rounding
print(math.floor(3.7), math.floor(-3.7), math.ceil(3.2), math.ceil(-3.2), math.floor(5), math.ceil(-0.5))
print(math.floor(2^40 + 0.5), math.fmod(7, 3), math.fmod(-7, 3), math.fmod(7, -3), math.fmod(5.5, 2))
print(math.modf(3.7), math.modf(-3.7), math.modf(5), math.modf(1/0))
--## abs min max
print(math.abs(-5), math.abs(5), math.abs(-0.0), math.max(1, 5, 3), math.min(1, 5, -3), math.max(-1), math.min(2.5, 2.25))
print(pcall(math.max), pcall(math.min))
print(math.max(1, "10"), math.min("3", 2))
--## powers roots logs
print(math.sqrt(16), math.sqrt(2), math.pow(2, 10), math.pow(2, 0.5), math.exp(0), math.exp(1))
print(math.log(1), math.log(math.exp(2)), math.log10(1000), math.log10(2), math.sqrt(-1) ~= math.sqrt(-1))
print(math.ldexp(1, 10), math.frexp(8), math.frexp(0), math.frexp(-3))
--## trigonometry
print(math.sin(0), math.cos(0), math.tan(0), math.sin(math.pi / 2), math.cos(math.pi))
print(math.asin(1), math.acos(1), math.atan(1), math.atan2(1, 1), math.atan2(-1, -1))
print(math.sinh(0), math.cosh(0), math.tanh(0), math.sinh(1), math.tanh(100))
print(math.deg(math.pi), math.rad(180), math.pi, math.huge)
--## math with string arguments
print(math.floor("3.5"), math.sqrt("9"), pcall(math.floor, "x"), pcall(math.floor))
--## integer tricks with floor and modulo
local function isint(n) return math.floor(n) == n end
print(isint(3), isint(3.5), isint(-0), isint(2^53), isint(1/0))
local n = 1234567
local digits = {}
while n > 0 do digits[#digits + 1] = n % 10; n = math.floor(n / 10) end
print(table.concat(digits))
--## random exists
print(type(math.random), type(math.randomseed))
