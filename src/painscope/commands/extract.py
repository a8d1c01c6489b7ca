"""``painscope extract``: videos → token maps (filled in below)."""
