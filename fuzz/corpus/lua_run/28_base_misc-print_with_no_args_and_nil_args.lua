-- Base library odds and ends.
--## print with no args and nil args
print()
print(nil)
print(nil, nil)
print("a", nil, "b")
