-- tonumber/tostring edge cases.
--## tostring of numbers
print(tostring(1), tostring(-1.5), tostring(1e15), tostring(1e16), tostring(2^31), tostring(2^53 + 1))
print(tostring(0.1), tostring(1/3), tostring(-1/3), tostring(123.456e-7), tostring(5e-324))
print(tostring(nil), tostring(true), tostring(false), tostring("x"))
print(#tostring(12345), tostring(12345):rep(2))
