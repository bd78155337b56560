-- and/or/not, truthiness, short circuit.
--## truthiness
for _, v in ipairs({0, "", false, "false", 0/0}) do
  print(type(v), v and "truthy" or "falsy")
end
print(nil and 1, false and 1, 1 and 2, 1 and nil, nil or 1, false or nil, 1 or error("x"))
