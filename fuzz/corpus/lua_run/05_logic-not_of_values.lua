-- and/or/not, truthiness, short circuit.
--## not of values
print(not nil, not false, not 0, not "", not not nil, not not {})
