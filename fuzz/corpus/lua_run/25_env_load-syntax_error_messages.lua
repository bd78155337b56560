-- loadstring, setfenv/getfenv, _G, _VERSION.
--## syntax error messages
for _, src in ipairs({"x = = 1", "for i = 1 do end", "local 1 = 2", "return return", "f(", "x = 'unterminated", "x = [[ long", "if x then", "a.b:c = 1", "x = }", "local t = {1 2}", "break", "goto = 1; goto x", "x = 1 + ", "return 1 2", "(f)", "x = \"\\q\"", "x = 0x", "x = 3e", "function f(a,) end", "local function() end"}) do
  local fn, e = loadstring(src)
  print(e)
end
