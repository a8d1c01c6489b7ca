"""Whole simulated data sets: presets, the video plan, rendering, manifest.

``simulate_dataset`` turns a preset (or a number of mice) into a ready painscope
project folder::

    OUT/painscope.yaml
    OUT/manifest.csv                    video,mouse_id,condition,timepoint,group,view,pose,labels
    OUT/videos/<stem>.mp4               H.264
    OUT/pose/<stem>DLC_sim.h5 / .csv    DeepLabCut format, 12 landmarks, exact
    OUT/labels/<stem>.csv               per-frame behaviour
    OUT/simulation.json                 settings, every mouse's traits, every video's pain levels

Every random draw comes from a ``numpy.random.SeedSequence`` keyed by the seed
and the mouse / timepoint / group, so a video does not change when others are
added to the plan, and the same seed gives the same files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from painscope.errors import PainscopeError
from painscope.io.atomic import atomic_write_text
from painscope.labels import TIMEPOINTS
from painscope.simulate.behaviour import (
    STATES,
    PainLevels,
    frame_labels,
    pain_levels,
    sample_states,
)
from painscope.simulate.body import INDEX, LANDMARKS, MouseTraits, landmarks_3d, sample_traits
from painscope.simulate.cohort import (
    GROUPS,
    PRESETS,
    VideoSpec,
    plan_videos,
    scale_cohorts,
)
from painscope.simulate.motion import animate
from painscope.simulate.render import Camera, FrameRenderer, add_clutter, make_rig, sample_lighting
from painscope.simulate.writer import H264Writer, write_dlc_pose, write_labels

_PAWS = [INDEX[n] for n in ("left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw")]


def _seed(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(seed, spawn_key=key)


def mouse_traits(seed: int, mouse_index: int) -> MouseTraits:
    return sample_traits(np.random.default_rng(_seed(seed, 1, mouse_index)))


def _video_rngs(seed: int, spec: VideoSpec) -> list[np.random.Generator]:
    key = (2, spec.mouse_index, TIMEPOINTS.index(spec.timepoint), GROUPS.index(spec.group))
    return [np.random.default_rng(s) for s in _seed(seed, *key).spawn(5)]


@dataclass(frozen=True)
class SimulatedPose:
    """Ground truth of one video before rendering."""

    traits: MouseTraits
    levels: PainLevels
    states: np.ndarray  # (n_frames,) int8
    points: np.ndarray  # (n_frames, 12, 3) cage cm
    speed_cm_s: np.ndarray  # (n_frames,)

    def labels(self) -> list[str]:
        return frame_labels(self.states, self.levels.asym)

    def shares(self) -> dict[str, float]:
        labels = self.labels()
        return {name: labels.count(name) / len(labels) for name in sorted(set(labels))}


def simulate_pose(
    spec: VideoSpec,
    *,
    n_frames: int,
    fps: float,
    effect: float = 1.0,
    seed: int = 0,
    cage_cm: tuple[float, float] = (20.0, 10.0),
) -> SimulatedPose:
    """Behaviour and landmarks of one video (no rendering; fast)."""
    traits = mouse_traits(seed, spec.mouse_index)
    rng_states, rng_motion, *_ = _video_rngs(seed, spec)
    levels = pain_levels(
        spec.condition,
        spec.timepoint,
        group=spec.group,
        effect=effect,
        sensitivity=traits.sensitivity,
    )
    mood = float(np.exp(rng_states.normal(0.0, 0.15)))  # day-to-day activity, label-free
    states = sample_states(n_frames, fps, levels, rng_states, activity=traits.activity * mood)
    pose = animate(states, fps, levels, traits, rng_motion, cage_cm=cage_cm)
    points = landmarks_3d(pose, traits)
    points[..., 0] = np.clip(points[..., 0], 0.1, cage_cm[0] - 0.1)
    points[..., 1] = np.clip(points[..., 1], 0.1, cage_cm[1] - 0.1)
    points[..., 2] = np.maximum(points[..., 2], 0.0)
    speed = np.hypot(np.diff(pose.x, prepend=pose.x[0]), np.diff(pose.y, prepend=pose.y[0])) * fps
    return SimulatedPose(traits, levels, states, points, speed)


@dataclass(frozen=True)
class SimulatedVideo:
    """The files written for one video (paths absolute) and its ground-truth summary."""

    spec: VideoSpec
    video: Path
    pose_h5: Path
    pose_csv: Path
    labels: Path
    n_frames: int
    levels: PainLevels
    shares: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class _Job:
    spec: VideoSpec
    out_dir: Path
    camera: Camera
    rig: np.ndarray
    n_frames: int
    fps: float
    effect: float
    seed: int
    crf: int


def simulate_video(
    spec: VideoSpec,
    out_dir: Path,
    *,
    camera: Camera,
    rig: np.ndarray,
    n_frames: int,
    fps: float = 30.0,
    effect: float = 1.0,
    seed: int = 0,
    crf: int = 18,
) -> SimulatedVideo:
    """Render one video with its pose and label files under ``out_dir``.

    ``rig`` is the data set's cage image (:func:`painscope.simulate.render.make_rig`).
    """
    out_dir = Path(out_dir)
    sim = simulate_pose(
        spec, n_frames=n_frames, fps=fps, effect=effect, seed=seed, cage_cm=camera.cage_cm
    )
    *_, rng_clutter, rng_light, rng_noise = _video_rngs(seed, spec)
    background = add_clutter(rig, camera, rng_clutter)
    renderer = FrameRenderer(background, camera, sample_lighting(rng_light), rng_noise)
    xy, scale = camera.project(sim.points)  # (n, 12, 2), (n, 12)
    body_scale = scale[:, INDEX["body_center"]]
    paw_z = sim.points[:, _PAWS, 2]
    video = out_dir / "videos" / f"{spec.stem}.mp4"
    with H264Writer(video, camera.width, camera.height, fps, crf=crf) as writer:
        for t in range(n_frames):
            writer.write(
                renderer.render(t / fps, xy[t], float(body_scale[t]), paw_z[t], sim.traits)
            )
    h5, csv = write_dlc_pose(out_dir / "pose" / spec.stem, xy, LANDMARKS)
    labels = write_labels(
        out_dir / "labels" / f"{spec.stem}.csv", fps, sim.labels(), sim.speed_cm_s
    )
    return SimulatedVideo(spec, video, h5, csv, labels, n_frames, sim.levels, sim.shares())


def _run_job(job: _Job) -> SimulatedVideo:
    return simulate_video(
        job.spec,
        job.out_dir,
        camera=job.camera,
        rig=job.rig,
        n_frames=job.n_frames,
        fps=job.fps,
        effect=job.effect,
        seed=job.seed,
        crf=job.crf,
    )


@dataclass(frozen=True)
class SimulationResult:
    """What :func:`simulate_dataset` wrote."""

    out_dir: Path
    manifest: Path
    summary: Path
    videos: tuple[SimulatedVideo, ...]
    n_frames: int
    fps: float

    @property
    def seconds_per_video(self) -> float:
        return self.n_frames / self.fps


def _check_out_dir(out_dir: Path, overwrite: bool) -> None:
    manifest = out_dir / "manifest.csv"
    if overwrite or not manifest.exists():
        return
    rows = [ln for ln in manifest.read_text().splitlines()[1:] if ln and not ln.startswith("#")]
    if rows:
        raise PainscopeError(
            f"{out_dir}: already holds a manifest with {len(rows)} video(s)",
            fix="pick an empty folder, or pass --overwrite (overwrite=True) to replace it",
        )


def write_manifest(out_dir: Path, videos: tuple[SimulatedVideo, ...], view: str) -> Path:
    """The project manifest, with ``pose`` and ``labels`` columns (paths relative to OUT)."""
    lines = ["video,mouse_id,condition,timepoint,group,view,pose,labels"]
    for v in videos:
        s = v.spec
        rel = [p.relative_to(out_dir).as_posix() for p in (v.video, v.pose_h5, v.labels)]
        lines.append(
            f"{rel[0]},{s.mouse_id},{s.condition},{s.timepoint},{s.group},{view},{rel[1]},{rel[2]}"
        )
    path = out_dir / "manifest.csv"
    atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def simulate_dataset(
    out_dir: Path | str,
    *,
    preset: str = "demo",
    n_mice: int | None = None,
    minutes: float | None = None,
    effect: float = 1.0,
    seed: int = 0,
    view: str = "bottom",
    size: tuple[int, int] = (256, 128),
    fps: float = 30.0,
    treated: bool = True,
    crf: int = 18,
    workers: int = 1,
    overwrite: bool = False,
    progress: Callable[[SimulatedVideo, int, int], None] | None = None,
) -> SimulationResult:
    """Simulate a data set and make ``out_dir`` a ready painscope project.

    Parameters
    ----------
    out_dir : project folder to create.
    preset : ``demo`` (68 short videos) or ``paper`` (Table 2 sizes), see :data:`PRESETS`.
    n_mice : resize the preset to this many untreated mice (None: the preset's).
    minutes : length of every video (None: the preset's).
    effect : scales every pain effect; 0 gives behaviour independent of the label.
    seed : same seed, same files.
    view : ``bottom`` or ``side``.
    size : frame (width, height) in pixels, both even.
    fps : frame rate.
    treated : include the drug-test cohorts (``group`` GBA / saline).
    crf : x264 quality (lower = better, 0 = lossless luma).
    workers : videos rendered in parallel (processes); output does not depend on it.
    overwrite : replace an existing simulated project in ``out_dir``.
    progress : called as ``progress(video, done, total)`` after each video.
    """
    from painscope.project import init_project

    if preset not in PRESETS:
        raise PainscopeError(f"unknown preset {preset!r}", fix=f"use one of {', '.join(PRESETS)}")
    if effect < 0:
        raise PainscopeError(f"effect must be >= 0, got {effect}")
    if fps <= 0:
        raise PainscopeError(f"fps must be positive, got {fps}")
    try:
        camera = Camera(view=view, width=size[0], height=size[1])
    except ValueError as err:
        raise PainscopeError(str(err)) from None
    chosen = PRESETS[preset]
    cohorts = chosen.cohorts if n_mice is None else scale_cohorts(chosen.cohorts, n_mice)
    if not treated:
        cohorts = tuple(c for c in cohorts if not c.group)
    minutes = chosen.minutes if minutes is None else minutes
    n_frames = round(minutes * 60 * fps)
    if n_frames < 1:
        raise PainscopeError(f"--minutes {minutes} gives no frames at {fps} fps")

    out = Path(out_dir)
    _check_out_dir(out, overwrite)
    init_project(out)
    rig = make_rig(camera, np.random.default_rng(_seed(seed, 0)))
    specs = plan_videos(cohorts)
    jobs = [_Job(s, out, camera, rig, n_frames, fps, effect, seed, crf) for s in specs]
    done: list[SimulatedVideo] = []
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for video in pool.map(_run_job, jobs):
                done.append(video)
                if progress:
                    progress(video, len(done), len(jobs))
    else:
        for job in jobs:
            done.append(_run_job(job))
            if progress:
                progress(done[-1], len(done), len(jobs))
    videos = tuple(done)
    manifest = write_manifest(out, videos, view)
    summary = out / "simulation.json"
    settings = {
        "preset": preset,
        "n_mice": n_mice,
        "minutes": minutes,
        "effect": effect,
        "seed": seed,
        "view": view,
        "size": list(size),
        "fps": fps,
        "treated": treated,
        "crf": crf,
    }
    mice = {v.spec.mouse_id: asdict(mouse_traits(seed, v.spec.mouse_index)) for v in videos}
    per_video = [
        {
            "video": v.video.relative_to(out).as_posix(),
            **asdict(v.spec),
            "pain_levels": asdict(v.levels),
            "behaviour_shares": v.shares,
        }
        for v in videos
    ]
    blob = {
        "settings": settings,
        "states": list(STATES),
        "landmarks": list(LANDMARKS),
        "mice": mice,
        "videos": per_video,
    }
    atomic_write_text(summary, json.dumps(blob, indent=1) + "\n")
    return SimulationResult(out, manifest, summary, videos, n_frames, fps)
