"""Which keypoints the pose baseline uses: B-SOiD's six bottom-up body parts by default.

B-SOiD (Hsu & Yttri 2021) was built and published on six bottom-view body parts —
snout, the four paws and the tail base — and its app asks the user to pick body parts
rather than using every tracked point. With K keypoints the pairwise feature set has
C(K,2)·2 + K columns, so a 12-point DeepLabCut model gives 144 features, 108 of them from
pairs without a paw; points on the head, trunk and tail (ears, neck, body centre, tail
segments) move together and fill the leading principal components. A change of one paw
— guarding, a limp, a lifted paw, what pain models change — then lies in directions
holding < 1 % of the variance, which the embedding (variance target 70 %) drops
(docs/pose_baseline.md, "Pose baseline fidelity").

:func:`bsoid_body_parts` finds the six parts by name in a file's keypoints; when a part
cannot be found unambiguously the caller falls back to every keypoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

#: the six parts, in the order of B-SOiD's bottom-up model (and ``feature_set: legacy7``)
BSOID_PARTS = ("snout", "forepaw_r", "forepaw_l", "hindpaw_r", "hindpaw_l", "tailbase")


def _tokens(name: str) -> list[str]:
    """Lower-case word pieces of a keypoint name: ``leftForePaw`` → left, fore, paw."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    words = [w for w in re.split(r"[^a-z0-9]+", spaced.lower()) if w]
    out: list[str] = []
    for word in words:  # split glued compounds: forepaw, hindpaw, tailbase
        for head in ("fore", "front", "hind", "rear", "tail"):
            if word.startswith(head) and len(word) > len(head):
                out += [head, word[len(head) :]]
                break
        else:
            out.append(word)
    return out


def _side(tokens: list[str]) -> str | None:
    left = any(t in ("left", "l") for t in tokens)
    right = any(t in ("right", "r") for t in tokens)
    return "l" if left and not right else "r" if right and not left else None


def _part(name: str) -> str | None:
    """Which of :data:`BSOID_PARTS` a keypoint name denotes, or None."""
    t = _tokens(name)
    if "snout" in t or "nose" in t:
        return "snout"
    tail_base = "tail" in t and any(w in t for w in ("base", "root", "start", "proximal", "0"))
    if tail_base or "butt" in t or "tailbase" in t:
        return "tailbase"
    if any(w in t for w in ("paw", "foot", "feet", "hand")):
        end = "fore" if any(w in t for w in ("fore", "front")) else None
        if any(w in t for w in ("hind", "rear", "back")):
            end = None if end else "hind"
        side = _side(t)
        return f"{end}paw_{side}" if end and side else None
    return None


def bsoid_body_parts(keypoints: Sequence[str]) -> tuple[str, ...] | None:
    """The file's names for B-SOiD's six body parts, in :data:`BSOID_PARTS` order.

    Parameters
    ----------
    keypoints : the keypoint names of a pose file (e.g. ``left_hindpaw``, ``hindpaw_l``,
        ``HindPawLeft``, ``Front Paw R``, ``nose``, ``tailbase``, B-SOiD's
        ``Butt/Proximal Tail``).

    Returns
    -------
    names : six keypoint names, or None when a part is missing or matched by more than
        one keypoint (then use every keypoint).
    """
    found: dict[str, list[str]] = {}
    for name in keypoints:
        part = _part(name)
        if part is not None:
            found.setdefault(part, []).append(name)
    if any(len(found.get(p, [])) != 1 for p in BSOID_PARTS):
        return None
    return tuple(found[p][0] for p in BSOID_PARTS)
