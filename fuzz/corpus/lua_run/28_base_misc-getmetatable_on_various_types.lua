-- Base library odds and ends.
--## getmetatable on various types
print(getmetatable(1), getmetatable(nil), getmetatable({}), getmetatable(print), type(getmetatable("")))
