-- String <-> number coercions.
--## arithmetic on numeric strings
print("10" + 1, "3" * "4", "2" ^ "3", "10" / "4", "7" % "3", -"2", "0x10" + 0, " 5 " * 2)
print("1e2" + 0, "  .5" + 0, "5" - "5", type("10" + 0))
