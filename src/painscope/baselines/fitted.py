"""The fitted pose baseline of one CV round or training run: ``*_fitted_fold<i>.joblib``.

``painscope cv`` and ``painscope train`` refit the B-SOiD motifs (scaler, embedding,
HDBSCAN, random forest) on every round's training videos; the motifs are what turn a
video's pose into the sequence its ViS4mer saw, so ``painscope predict`` and
``painscope drugtest`` need the very same fitted model. It is written beside the round's
checkpoints (``checkpoints/<method>_fitted_fold<i>.joblib``) and named in the
checkpoints' ``source`` spec (``"fitted"``, relative to the run folder).

File contents (a joblib pickle of one dict, the scikit-learn way of saving models):
``{"format": 1, "painscope_version", "sklearn_version", "name", "clip_seconds" (s),
"pose_config" (the ``pose`` section, plain values), "keypoints" (list of names),
"model" (a fitted :class:`~painscope.baselines.motifs.MotifModel`)}``. Loading a pickle
runs code from the file: load only run folders you made (the checkpoints themselves stay
``weights_only`` torch files).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from painscope.errors import PainscopeError

if TYPE_CHECKING:
    from painscope.baselines.sequences import PoseMotifSource

FORMAT = 1


def write_fitted_pose(path: Path, source: PoseMotifSource) -> None:
    """Write the fitted motif model of ``source`` to ``path`` (atomically)."""
    import joblib
    import sklearn

    from painscope.config.base import to_dict
    from painscope.io.atomic import atomic_path
    from painscope.version import __version__

    payload: dict[str, Any] = {
        "format": FORMAT,
        "painscope_version": __version__,
        "sklearn_version": sklearn.__version__,
        "name": source.name,
        "clip_seconds": float(source.clip_seconds),
        "pose_config": to_dict(source.config),
        "keypoints": list(source.keypoints_),
        "model": source._model(),
    }
    with atomic_path(Path(path)) as tmp:
        joblib.dump(payload, tmp)


def read_fitted_pose(path: Path, project_dir: Path) -> PoseMotifSource:
    """The fitted pose source saved at ``path``; its pose files are found from ``project_dir``.

    Raises :class:`PainscopeError` naming the file when it is missing, unreadable or of
    another format.
    """
    import joblib

    from painscope.baselines.sequences import PoseMotifSource
    from painscope.config.base import from_dict
    from painscope.config.pose import PoseConfig

    path = Path(path)
    fix = "re-run painscope cv / train (the run folder lacks its fitted pose motifs)"
    try:
        payload = joblib.load(path)
    except FileNotFoundError:
        raise PainscopeError(f"{path}: fitted pose motifs not found", fix=fix) from None
    except Exception as err:  # a truncated or foreign file
        raise PainscopeError(f"{path}: not a fitted pose baseline ({err})", fix=fix) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise PainscopeError(f"{path}: unknown fitted pose format", fix=fix)
    config = from_dict(PoseConfig, payload["pose_config"], section="pose")
    source = PoseMotifSource(project_dir, config, clip_seconds=float(payload["clip_seconds"]))
    source.name = str(payload["name"])
    source.keypoints_ = tuple(payload["keypoints"])
    source.model_ = payload["model"]
    return source
