"""An OpenWA 4.76.0 simulator: same CLI flags, same HTTP contract, real QR codes.

``core`` is plain Python usable in-process (for tests and benchmarks with thousands of
sessions); ``cli`` wraps one core session in the process/HTTP shape of the real CLI.
"""
