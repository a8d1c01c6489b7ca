"""``painscope bench``: speed figures that anyone can rerun (see BENCHMARKS.md)."""
