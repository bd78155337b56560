# Stands in for the modules' build helper (readies/paella), which their test files import only for the platform's
# names.
class Platform:
    def __init__(self):
        self.os, self.osnick, self.arch = "linux", "debian", "x64"
