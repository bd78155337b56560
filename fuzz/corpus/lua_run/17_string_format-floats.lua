-- string.format with every option.
--## floats
print(string.format("%f %.2f %10.3f %-10.1f| %e %.3E", 3.14159, 3.14159, 3.14159, 3.14159, 314.159, 314.159))
print(string.format("%g %g %g %g %G", 100000, 1000000, 1e-5, 0.0001, 1e-10))
print(string.format("%.3g %#g %+.1f %08.3f", 3.14159, 1.5, 2.25, -3.14159))
print(string.format("%.0f %.0f %.0f %.1f", 0.5, 1.5, 2.5, 0.05))
print(string.format("%f %f %f", 1/0, -1/0, 1e300))
