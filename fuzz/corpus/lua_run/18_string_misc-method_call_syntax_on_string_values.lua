-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## method call syntax on string values
local w = "Word"
print(w:upper():lower():rep(2, nil), ("%d items"):format(3), w:byte(-1), #w:rep(3))
print(("a,b,c"):gsub(",", ";"))
