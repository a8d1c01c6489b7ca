"""The painscope version (a leaf module: it imports nothing from painscope)."""

__version__ = "0.1.0"
