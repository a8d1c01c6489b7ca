"""Seed variance of the classifier: several train-setting variants × seeds on one project.

``python -m painscope.bench.seeds PROJECT SCHEME METHOD OUT.npz VARIANTS SEEDS``

VARIANTS is JSON ``{name: {train setting: value}}`` (on top of the project's ``train``
settings with ``group_by: mouse_id``, ``ensemble: 1``); SEEDS is ``0,1,2``. Per round of
the same 8 folds as ``painscope cv``, every variant and seed is one
:func:`painscope.train.trainer.fit` on the round's train / validation split (seed
``seed + round + 1000 · s``); its test probabilities are kept. Prints, per variant, each
seed's pooled test accuracy, their mean, the accuracy of the seeds' mean probability
(a committee on the shared split, what ``ensemble: auto`` does) and CPU-s per fit;
painscope's LR baseline on the same folds for comparison. Probabilities go to OUT.npz.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np


def main(argv: list[str]) -> None:
    from painscope.baselines.logistic import logreg_baseline
    from painscope.config.base import with_overrides
    from painscope.evaluate.splits import make_folds, round_roles
    from painscope.train.data import load_sequences
    from painscope.train.methods import build_sources
    from painscope.train.runs import open_inputs, training_entries
    from painscope.train.schemes import scheme_labels
    from painscope.train.trainer import fit, predict_proba

    project, scheme, method, out = argv[0], argv[1], argv[2], argv[3]
    variants: dict[str, dict] = json.loads(argv[4])
    seeds = [int(s) for s in argv[5].split(",")]
    inputs = open_inputs(project)
    base = with_overrides(
        inputs.config.train, section="train", group_by="mouse_id", relevance=False, ensemble=1
    )
    entries = training_entries(inputs.manifest)
    labels, classes = scheme_labels(entries, scheme, inputs.manifest.path)
    k = base.n_folds
    folds = make_folds(labels, k, groups=[e.mouse_id for e in entries], seed=base.seed)
    y = np.array([classes.index(c) for c in labels])
    probs = {(v, s): np.zeros((len(y), len(classes))) for v in variants for s in seeds}
    lr = np.zeros((len(y), len(classes)))
    cpu = dict.fromkeys(variants, 0.0)
    for i in range(k):
        roles = round_roles(folds, i, k)
        idx = {r: np.flatnonzero(roles == r) for r in ("train", "val", "test")}
        (src,) = build_sources(Path(project), inputs.config, [method], base)
        src.fit([entries[j] for j in idx["train"]])
        seqs = {r: load_sequences(src, [entries[j] for j in idx[r]]) for r in idx}
        tpc = int(src.tokens_per_clip)
        lr[idx["test"]] = logreg_baseline(
            seqs["train"], y[idx["train"]], seqs["test"], len(classes), base.seed
        )
        for name, overrides in variants.items():
            cfg = with_overrides(base, section="train", **overrides)
            for s in seeds:
                t = time.process_time()
                r = fit(
                    cfg, seqs["train"], y[idx["train"]], seqs["val"], y[idx["val"]],
                    len(classes), tokens_per_clip=tpc, seed=cfg.seed + i + 1000 * s,
                    progress=False,
                )  # fmt: skip
                probs[name, s][idx["test"]] = predict_proba(
                    r.model, seqs["test"], tpc, cfg.n_clips, cfg.batch_size
                )
                cpu[name] += time.process_time() - t
        print(f"round {i + 1}/{k} done", flush=True)
    arrays: dict[str, np.ndarray] = {"y": y, "lr": lr, "folds": np.asarray(folds)}
    arrays.update({f"{v}__{s}": p for (v, s), p in probs.items()})
    np.savez(out, **arrays)  # type: ignore[arg-type]

    def acc(p: np.ndarray) -> float:
        return float((p.argmax(1) == y).mean())

    print(f"LR baseline {acc(lr):.3f}")
    for name in variants:
        singles = [acc(probs[name, s]) for s in seeds]
        committee = acc(np.sum([probs[name, s] for s in seeds], axis=0))
        print(
            f"{name}: seeds {' '.join(f'{a:.3f}' for a in singles)} mean {np.mean(singles):.3f}"
            f" sd {np.std(singles, ddof=1) if len(seeds) > 1 else 0:.3f}"
            f" committee{len(seeds)} {committee:.3f} CPU-s/fit {cpu[name] / (k * len(seeds)):.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
