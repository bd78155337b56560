-- loadstring, setfenv/getfenv, _G, _VERSION.
--## setfenv on loaded chunk
local chunk = loadstring("y = 10; return y + (base or 0)")
local env = {base = 5}
setfenv(chunk, env)
print(chunk(), env.y, y)
