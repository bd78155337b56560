-- The math library (math.random aside: Redis replaces it).
--## integer tricks with floor and modulo
local function isint(n) return math.floor(n) == n end
print(isint(3), isint(3.5), isint(-0), isint(2^53), isint(1/0))
local n = 1234567
local digits = {}
while n > 0 do digits[#digits + 1] = n % 10; n = math.floor(n / 10) end
print(table.concat(digits))
