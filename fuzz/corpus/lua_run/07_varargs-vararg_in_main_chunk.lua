-- Varargs, select, unpack.
--## vararg in main chunk
print(select("#", ...))
