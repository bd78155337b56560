-- Control flow: loops, break, nested scopes, recursion depth.
--## if elseif chains
local function classify(v)
  if type(v) == "number" then
    if v < 0 then return "neg" elseif v == 0 then return "zero" elseif v < 10 then return "small" else return "big" end
  elseif type(v) == "string" then return "str"
  else return "other" end
end
print(classify(-1), classify(0), classify(5), classify(50), classify("x"), classify(nil))
