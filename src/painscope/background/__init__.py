"""Background removal: the exact per-pixel temporal median (the paper's first step)."""

from painscope.background.median import MedianAccumulator, foreground, temporal_median

__all__ = ["MedianAccumulator", "foreground", "temporal_median"]
