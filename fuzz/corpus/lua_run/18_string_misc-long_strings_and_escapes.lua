-- string.byte/char/rep/reverse/lower/upper/len/sub, method calls on strings.
--## long strings and escapes
local ls = [[
first line
second "quoted" \n not escaped]]
print(ls, #ls)
local lv = [==[with ]] inside]==]
print(lv)
print("tab\tnew\\n", 'single \'q\'', "\65\066\x", "\z" == "z", "a\
b")
