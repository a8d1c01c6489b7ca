"""Fault campaign, feature arrays: every bad file is a FeatureStoreError naming it."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.errors import FeatureStoreError
from painscope.io.arrays import load_array_file
from tests.fixtures.faults import bad_arrays

EXPECTED = {
    "empty_npz": "holds no arrays",
    "zero_byte_npy": r"empty \(0 bytes\)",
    "nan": "non-finite values",
    "complex": "complex numbers",
    "object": "allow_pickle",
    "csv_string_cell": r"row 3, column 'f1': 'oops' is not a number",
    "zero_byte_csv": r"empty \(0 bytes\)",
    "truncated_npy": "unreadable feature array",
}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return bad_arrays(tmp_path_factory.mktemp("arrays"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_array_is_refused_naming_the_file(cases, name):
    with pytest.raises(FeatureStoreError, match=EXPECTED[name]) as info:
        load_array_file(cases[name])
    assert str(cases[name]) in str(info.value)


def test_csv_without_header_names_the_line(tmp_path):
    (tmp_path / "f.csv").write_text("1,2\n3,x\n")
    with pytest.raises(FeatureStoreError, match=r"row 2, column '2': 'x'"):
        load_array_file(tmp_path / "f.csv")


def test_csv_empty_cell_is_non_finite_not_dropped(tmp_path):
    (tmp_path / "f.csv").write_text("a,b\n1,2\n3,\n")
    with pytest.raises(FeatureStoreError, match="clip 1"):
        load_array_file(tmp_path / "f.csv")


def test_good_csv_keeps_every_column(tmp_path):
    (tmp_path / "f.csv").write_text("a,b,c\n1,2.5,-3\n4,5,6e-1\n")
    np.testing.assert_array_equal(
        load_array_file(tmp_path / "f.csv"), np.array([[1, 2.5, -3], [4, 5, 0.6]], np.float32)
    )


def test_train_sources_still_exports_the_loader():
    from painscope.train import sources

    assert sources.load_array_file is load_array_file
