-- and/or/not, truthiness, short circuit.
--## ternary idiom pitfalls
local a = true and false or "fallback"
print(a, (1 > 2) and "yes" or "no", nil == nil and 1 or 2)
