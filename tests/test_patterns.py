import numpy as np
import pytest

from hopfield_brian import patterns as pat
from hopfield_brian.errors import ConfigError


def test_random_patterns_have_requested_shape_values_and_coding_level():
    x = pat.generate("bipolar", 5, 100, 0.5, seed=1)
    assert x.shape == (5, 100) and set(np.unique(x)) == {-1.0, 1.0}
    s = pat.generate("sparse", 4, 200, 0.1, seed=1)
    assert set(np.unique(s)) == {0.0, 1.0}
    assert np.all(s.sum(axis=1) == 20)
    assert np.array_equal(pat.generate("bipolar", 5, 100, 0.5, seed=1), x)
    assert not np.array_equal(pat.generate("bipolar", 5, 100, 0.5, seed=2), x)


def test_flip_changes_exactly_the_requested_fraction():
    rng = np.random.default_rng(0)
    x = pat.generate("bipolar", 1, 200, 0.5, seed=0)[0]
    y = pat.flip(x, 0.3, rng)
    assert np.sum(x != y) == 60
    assert pat.overlap(x[None], y)[0] == pytest.approx(1 - 2 * 0.3)
    s = pat.generate("sparse", 1, 100, 0.2, seed=0)[0]
    assert np.sum(pat.flip(s, 0.1, rng, "sparse") != s) == 10


def test_mask_zeroes_the_requested_fraction():
    x = pat.generate("bipolar", 1, 100, 0.5, seed=0)[0]
    y = pat.mask(x, 0.25, np.random.default_rng(0))
    assert np.sum(y == 0) == 25 and np.all(y[y != 0] == x[y != 0])


def test_overlap_is_one_for_the_pattern_and_about_zero_for_others():
    x = pat.generate("bipolar", 3, 1000, 0.5, seed=0)
    m = pat.overlap(x, x[0])
    assert m[0] == 1.0 and np.all(np.abs(m[1:]) < 0.15)
    s = pat.generate("sparse", 3, 1000, 0.1, seed=0)
    ms = pat.overlap(s, s[1], "sparse")
    assert ms[1] == pytest.approx(1.0) and np.all(np.abs(ms[[0, 2]]) < 0.2)


def test_load_npy_and_csv(tmp_path):
    x = pat.generate("bipolar", 3, 10, 0.5, seed=0)
    np.save(tmp_path / "p.npy", x)
    np.savetxt(tmp_path / "p.csv", (x + 1) / 2, delimiter=",", fmt="%d")
    y, kind = pat.load(tmp_path / "p.npy")
    assert kind == "bipolar" and np.array_equal(x, y)
    z, kind = pat.load(tmp_path / "p.csv")
    assert kind == "sparse" and np.array_equal(z, (x + 1) / 2)


@pytest.mark.parametrize("content, message", [
    ("1,0,2\n0,1,1\n", "values must be"),
    ("1,-1,0\n0,1,1\n", "values must be"),
    ("a,b\n", "cannot read"),
])
def test_load_rejects_bad_files(tmp_path, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    with pytest.raises(ConfigError, match=message):
        pat.load(f)


def test_load_rejects_wrong_shape_and_missing_file(tmp_path):
    np.save(tmp_path / "v.npy", np.ones(5))
    with pytest.raises(ConfigError, match="shape"):
        pat.load(tmp_path / "v.npy")
    with pytest.raises(ConfigError, match="not found"):
        pat.load(tmp_path / "missing.npy")
