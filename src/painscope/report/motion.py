"""Report section: the labs' standard silhouette readouts per group.

Reads ``PROJECT/cache/motion/summary.csv`` (written by ``painscope extract`` with
``extract.motion: true``) and the manifest, and renders distance travelled and % time
immobile per condition × timepoint as an HTML table (mean ± SD over videos). The
report's section registry (report/sections.py) wraps it.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def motion_section(project_root: Path) -> str | None:
    """HTML of the motion section, or None when the project has no motion summary.

    project_root : the project folder (the run folder's grandparent).
    """
    from painscope.motion.store import motion_dir, read_summary

    path = motion_dir(project_root) / "summary.csv"
    rows = read_summary(path)
    if not rows:
        return None
    labels: dict[str, tuple[str, str]] = {}
    try:
        from painscope.manifest import read_manifest

        manifest = read_manifest(Path(project_root) / "manifest.csv", check_files=False)
        labels = {e.video_id: (e.condition or "?", e.timepoint or "?") for e in manifest}
    except Exception:  # a report never fails on the manifest; rows then stay ungrouped
        labels = {}
    unit = "cm" if any("distance_cm" in r and _finite(r["distance_cm"]) for r in rows) else "px"
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for r in rows:
        key = labels.get(str(r["video_id"]), ("all videos", ""))
        distance = float(r.get(f"distance_{unit}", np.nan))  # type: ignore[arg-type]
        groups.setdefault(key, []).append((distance, float(r["immobile_percent"])))  # type: ignore[arg-type]
    body = []
    for (condition, timepoint), values in sorted(groups.items()):
        arr = np.asarray(values, dtype=np.float64)  # (n, 2)
        cells = [condition, timepoint, str(len(arr))]
        for j in range(2):
            mean, sd = np.nanmean(arr[:, j]), np.nanstd(arr[:, j])
            cells.append(f"{mean:.1f} ± {sd:.1f}")
        body.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{_esc(h)}</th>"
        for h in ("condition", "timepoint", "videos", f"distance travelled ({unit})",
                  "time immobile (%)")
    )  # fmt: skip
    scale = "" if unit == "cm" else " Set extract.pixels_per_cm in painscope.yaml for centimetres."
    return (
        '<div class="tablewrap"><table id="tab-motion">'
        "<caption>Distance travelled and time immobile from the background-subtracted "
        "silhouette (mean ± SD over videos). A frame is immobile when under 10 % of the body "
        "area changed and the centroid moved under half a body length per second "
        "(docs/motion.md).</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f'<p class="sub">Per video: {_esc(path)}; per frame: '
        f"{_esc(motion_dir(project_root))}/&lt;video_id&gt;.csv.{_esc(scale)}</p>"
    )


def _finite(value: object) -> bool:
    try:
        return bool(np.isfinite(float(value)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
