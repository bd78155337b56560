-- collectgarbage options and allocation-heavy programs (outputs independent of collection timing).
--## collectgarbage options return types
print(type(collectgarbage("count")), collectgarbage("collect"), collectgarbage(), type(gcinfo()))
print(type(collectgarbage("step")), type(collectgarbage("setpause", 200)), type(collectgarbage("setstepmul", 200)))
print(pcall(collectgarbage, "bogus"))
collectgarbage("restart")
