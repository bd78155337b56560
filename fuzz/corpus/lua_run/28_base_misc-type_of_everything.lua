-- Base library odds and ends.
--## type of everything
print(type(nil), type(1), type("s"), type({}), type(print), type(type), type(coroutine.create(function() end)), type(true))
print(pcall(type))
