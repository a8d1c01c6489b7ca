"""The fault campaign as a script: try every bad input through the public API, count outcomes.

    python -m tests.reliability.fault_campaign        (from the repository root)

Prints one line per case and a JSON summary {area: {tried, handled, traceback, wrong}}.
"handled" = refused with a painscope error naming the file (or, for an unusual but
valid input, read correctly); "traceback" = any other exception; "wrong" = accepted
silently with a wrong result. Uses only APIs that exist on main as well, so the same
script measures both. The figures are in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import tempfile
import warnings
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

from painscope.errors import PainscopeError  # noqa: E402
from tests.fixtures.faults import (  # noqa: E402
    ACCEPTED_MANIFEST_CASES,
    BROKEN_VIDEO_CASES,
    bad_arrays,
    bad_manifests,
    bad_videos,
    textured_rgb,
    write_depth_video,
)

RESULTS: dict[str, Counter] = defaultdict(Counter)


def case(area: str, name: str, func) -> None:  # type: ignore[no-untyped-def]
    try:
        outcome = func()
    except PainscopeError:
        outcome = "handled"
    except Exception as err:  # a traceback for the user
        outcome = "traceback"
        name += f" ({type(err).__name__})"
    RESULTS[area]["tried"] += 1
    RESULTS[area][outcome] += 1
    print(f"{area:9s} {name:40s} {outcome}")


def videos(tmp: Path) -> None:
    from painscope.background.median import temporal_median
    from painscope.io.video import iter_frames, probe

    cases = bad_videos(tmp / "videos")

    def broken(name: str) -> str:
        try:
            probe(cases[name])
            list(iter_frames(cases[name]))
        except PainscopeError as err:
            if name == "directory" and "re-encode" in str(err):
                return "wrong"  # wrong advice
            return "handled"
        return "wrong"

    for name in BROKEN_VIDEO_CASES:
        case("video", name, lambda n=name: broken(n))
    for name in ("wrong_extension", "odd_size"):
        case("video", name, lambda n=name: "handled" if list(iter_frames(cases[n])) else "wrong")
    rgb = textured_rgb(9)
    eight = write_depth_video(tmp / "eight.mkv", rgb, pix_fmt="yuv420p")
    bg8 = temporal_median(np.stack([f.image for f in iter_frames(eight)]))
    for fmt in ("yuv420p10le", "yuv422p12le", "yuv444p16le", "gray16le"):

        def deep(fmt: str = fmt) -> str:
            path = write_depth_video(tmp / f"{fmt}.mkv", rgb, pix_fmt=fmt)
            bg = temporal_median(np.stack([f.image for f in iter_frames(path)]))
            if fmt.startswith("gray"):
                twin = write_depth_video(tmp / "g8.mkv", rgb, pix_fmt="gray")
                ref = temporal_median(np.stack([f.image for f in iter_frames(twin)]))
            else:
                ref = bg8
            return "handled" if np.abs(bg - ref).max() <= 1 else "wrong"

        case("video", f"bit depth {fmt}", deep)


def manifests(tmp: Path) -> None:
    from painscope.manifest import read_manifest

    cases = bad_manifests(tmp / "manifests")
    for name, path in cases.items():
        if name in ACCEPTED_MANIFEST_CASES:

            def accepted(path: Path = path) -> str:
                try:
                    return "handled" if len(read_manifest(path)) == 2 else "wrong"
                except PainscopeError:
                    return "wrong"  # a valid sheet refused

            case("manifest", name, accepted)
        else:
            case("manifest", name, lambda p=path: ["wrong", read_manifest(p)][0])


def arrays(tmp: Path) -> None:
    from painscope.train.sources import load_array_file

    for name, path in bad_arrays(tmp / "arrays").items():
        case("array", name, lambda p=path: ["wrong", load_array_file(p)][0])


def settings(tmp: Path) -> None:
    from painscope.config import ExtractConfig
    from painscope.config.project import load_config
    from painscope.config.train import TrainConfig
    from painscope.evaluate.splits import make_folds

    case("settings", "extract.device: banana", lambda: ["wrong", ExtractConfig(device="banana")][0])
    case("settings", "train.device: banana", lambda: ["wrong", TrainConfig(device="banana")][0])
    dup = tmp / "dup.yaml"
    dup.write_text("extract:\n  batch_size: 4\n  batch_size: 16\n")
    case("settings", "duplicate key", lambda: ["wrong", load_config(dup)][0])
    latin = tmp / "latin.yaml"
    latin.write_bytes("# caf\xe9\nextract:\n  batch_size: 4\n".encode("latin-1"))
    case("settings", "non-UTF-8 painscope.yaml", lambda: ["wrong", load_config(latin)][0])
    labels = ["a"] * 5 + ["b"] * 4
    case("settings", "too few videos per class", lambda: ["wrong", make_folds(labels, 8)][0])


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def pose(tmp: Path) -> None:
    import h5py
    import pandas as pd

    from painscope.baselines.pose_io import load_pose
    from tests.fixtures.pose import dlc_table, two_behaviour_trajectory

    position = two_behaviour_trajectory(60, 30.0, np.random.default_rng(0))[0]
    for kind in ("object column", "pickled attribute"):
        marker = tmp / f"PWNED_{kind.replace(' ', '_')}"
        path = tmp / f"{kind.replace(' ', '_')}.h5"
        table = dlc_table(position)
        if kind == "object column":
            table[("DLC_sim", "note", "x")] = pd.Series([_Payload(marker)] * 60, dtype=object)
        table.to_hdf(path, key="df_with_missing", mode="w")
        if kind == "pickled attribute":
            with h5py.File(path, "r+") as handle:
                handle["df_with_missing"].attrs["info"] = np.bytes_(
                    pickle.dumps(_Payload(marker), protocol=0)
                )

        def run(path: Path = path, marker: Path = marker) -> str:
            with contextlib.suppress(Exception):
                load_pose(path)
            return "wrong" if marker.exists() else "handled"

        case("pose", f"pickle in .h5 ({kind})", run)


def weights(tmp: Path) -> None:
    import torch

    from painscope.features.weights import load_backbone

    def same() -> str:
        a, _ = load_backbone("tiny", "none")
        b, _ = load_backbone("tiny", "none")
        sa, sb = a.state_dict(), b.state_dict()
        return "handled" if all(torch.equal(sa[k], sb[k]) for k in sa) else "wrong"

    case("weights", "weights: none reproducible", same)

    def directory() -> str:
        try:
            load_backbone("tiny", str(tmp))
        except PainscopeError as err:
            return "wrong" if "re-save" in str(err) else "handled"  # the advice must fit
        return "wrong"

    case("weights", "weights path is a directory", directory)


def names(tmp: Path) -> None:
    from typer.testing import CliRunner

    from painscope.cli import app

    for name in ("lab [/] day3", "mouse [red]hidden[/red] 7"):
        root = tmp / "names" / name

        def init(root: Path = root) -> str:
            result = CliRunner().invoke(app, ["init", str(root)])
            flat = "".join(result.output.split())
            return (
                "handled"
                if result.exit_code == 0 and "".join(str(root).split()) in flat
                else ("traceback" if result.exit_code == 1 else "wrong")
            )

        case("names", f"init {name!r}", init)

        def error(root: Path = root) -> str:
            (root / "manifest.csv").write_text("video,mouse_id\nvideos/x [/] y.mp4,m1\n")
            result = CliRunner().invoke(app, ["cv", str(root)])
            shown = "videos/x[/]y.mp4" in "".join(result.output.split())
            return (
                "handled"
                if result.exit_code == 2 and shown
                else ("traceback" if result.exit_code == 1 else "wrong")
            )

        case("names", f"error naming {name!r}", error)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for area in (videos, manifests, arrays, settings, pose, weights, names):
            area(tmp)
    total = Counter()
    for counts in RESULTS.values():
        total.update(counts)
    RESULTS["all"] = total
    print(json.dumps({k: dict(v) for k, v in RESULTS.items()}))


if __name__ == "__main__":
    main()
