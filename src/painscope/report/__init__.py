"""The HTML report, its figures and the attention maps.

``build_report(run_dir)`` turns a run folder (see docs/design.md, "Run folder") into one
self-contained ``report.html`` plus every figure as PNG and SVG under ``figures/``;
``explain_clip`` draws Grad-CAM attention maps of a Video Swin backbone (paper Figs. 6–8).
Nothing heavy is imported here: matplotlib and torch load when a function needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from painscope.report.attention import explain_clip, grad_cam
    from painscope.report.html import build_report

__all__ = ["build_report", "explain_clip", "grad_cam"]


def __getattr__(name: str) -> Any:
    if name == "build_report":
        from painscope.report.html import build_report

        return build_report
    if name in ("explain_clip", "grad_cam"):
        from painscope.report import attention

        return getattr(attention, name)
    raise AttributeError(name)
