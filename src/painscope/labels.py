"""Conditions, timepoints and the paper's label schemes (Table 2).

Manifest values are normalised here (``sni`` → ``SNI``, ``sham`` → ``control``,
``day 3`` → ``D3``), so one spelling reaches every later stage.

Schemes
-------
``15class``
    ``D0`` (every mouse before surgery) plus condition × timepoint:
    formalin 1min, 2h, D3, D5, D7, D14; SNI D3, D7, D14, D21; control D3, D7, D14, D21.
``3class``
    ``no pain`` (D0 and control), ``inflammatory`` (formalin), ``neuropathic`` (SNI).
Any other manifest column can be used as a custom scheme (its distinct values, sorted).
"""

from __future__ import annotations

import re

CONDITIONS = ("formalin", "SNI", "control", "baseline")
_CONDITION_ALIASES = {
    "formalin": "formalin",
    "sni": "SNI",
    "spared nerve injury": "SNI",
    "control": "control",
    "sham": "control",
    "healthy": "control",
    "naive": "control",
    "ctrl": "control",
    "baseline": "baseline",
    "none": "baseline",
}

# Ordinal order used by QWK (paper Table 5).
TIMEPOINTS = ("D0", "1min", "2h", "D3", "D5", "D7", "D14", "D21")

CLASSES_15 = (
    "D0",
    "formalin 1min",
    "formalin 2h",
    "formalin D3",
    "formalin D5",
    "formalin D7",
    "formalin D14",
    "SNI D3",
    "SNI D7",
    "SNI D14",
    "SNI D21",
    "control D3",
    "control D7",
    "control D14",
    "control D21",
)
CLASSES_3 = ("no pain", "inflammatory", "neuropathic")
_THREE_OF_CONDITION = {"formalin": "inflammatory", "SNI": "neuropathic", "control": "no pain"}


def normalize_condition(value: str) -> str | None:
    """Canonical condition name, or None when unknown."""
    return _CONDITION_ALIASES.get(value.strip().lower())


def normalize_timepoint(value: str) -> str | None:
    """Canonical timepoint (``D3``, ``1min``, ``2h``), or None when unknown."""
    text = value.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(?:d|day)(\d+)", text)
    if match:
        label = f"D{int(match.group(1))}"
        return label if label in TIMEPOINTS else None
    match = re.fullmatch(r"(\d+)(min|m|minute|minutes)", text)
    if match and int(match.group(1)) == 1:
        return "1min"
    match = re.fullmatch(r"(\d+)(h|hr|hour|hours)", text)
    if match and int(match.group(1)) == 2:
        return "2h"
    return None


def label_15(condition: str, timepoint: str) -> str | None:
    """15-class label of a (canonical) condition and timepoint, or None if not a class."""
    if timepoint == "D0":
        return "D0"
    label = f"{condition} {timepoint}"
    return label if label in CLASSES_15 else None


def label_3(condition: str, timepoint: str) -> str | None:
    """3-class label of a (canonical) condition and timepoint, or None if not a class."""
    if timepoint == "D0":
        return "no pain"
    if label_15(condition, timepoint) is None:
        return None
    return _THREE_OF_CONDITION.get(condition)
