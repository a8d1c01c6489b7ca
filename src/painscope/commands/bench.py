"""``painscope bench``: speed figures (filled in below)."""
