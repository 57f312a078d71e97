"""The performance suite of fundwatch: ``python -m benchmarks``.  It prints figures and asserts
nothing about time (DESIGN.md, "Speed")."""
