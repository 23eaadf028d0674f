"""BuildConfig / ShapeProfile: pure validation, stable keys, no TensorRT import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trtlab import ConfigError
from trtlab.builder import BuildConfig, ShapeProfile, parse_shapes
from trtlab.builder.bundle import config_from_key


def test_defaults_are_fp32_detailed():
    c = BuildConfig()
    assert c.precision == "fp32" and c.profiling_verbosity == "detailed" and c.dynamic_dims == (1, 1, 1)


def test_bad_precision_names_value_and_allowed():
    with pytest.raises(ConfigError) as e:
        BuildConfig(precision="fp12")
    msg = str(e.value)
    assert "'fp12'" in msg and "fp32, tf32, fp16, bf16, int8, fp8" in msg


@pytest.mark.parametrize("kw, word", [
    ({"opt_level": 7}, "opt_level 7"),
    ({"workspace_mib": -5}, "workspace_mib -5"),
    ({"profiling_verbosity": "loud"}, "'loud'"),
    ({"compute_capability": "ampere"}, "'ampere'"),
    ({"dynamic_dims": (4, 2, 8)}, "dynamic_dims"),
    # values that pass a type check but would fail inside TensorRT: the allowed range is named
    ({"workspace_mib": 2**50}, "give 1 to 17,592,186,044,415 MiB"),
    ({"dynamic_dims": (1, 1, 2**31)}, "from 0 to 2,147,483,647"),
    ({"profiles": (ShapeProfile.fixed("x", (1, 3)),)}, None),
])
def test_bad_values_are_named(kw, word):
    if word is None:
        BuildConfig(**kw)
        return
    with pytest.raises(ConfigError, match=word):
        BuildConfig(**kw)


def test_profile_dimensions_beyond_tensorrt_are_config_errors():
    with pytest.raises(ConfigError, match="2,147,483,647"):
        ShapeProfile("x", (1, 1), (1, 1), (1, 2**63))
    assert ShapeProfile("x", (1,), (1,), (2**31 - 1,)).max == (2**31 - 1,)


def test_profile_min_greater_than_max():
    with pytest.raises(ConfigError) as e:
        ShapeProfile("x", (8, 3), (4, 3), (2, 3))
    assert "min <= opt <= max" in str(e.value) and "'x'" in str(e.value)


def test_profile_mixed_ranks():
    with pytest.raises(ConfigError, match="rank"):
        ShapeProfile("x", (1, 3), (1, 3, 4), (1, 3))


def test_duplicate_profiles_rejected():
    p = ShapeProfile.fixed("x", (1, 3))
    with pytest.raises(ConfigError, match="more than one"):
        BuildConfig(profiles=(p, p))


def test_parse_shapes_cli_form():
    p = parse_shapes("gpu_0/data_0:1x3x224x224,4x3x224x224,8x3x224x224")
    assert p.input == "gpu_0/data_0" and p.min == (1, 3, 224, 224) and p.max == (8, 3, 224, 224)
    assert parse_shapes("x:2x3").opt == (2, 3)
    with pytest.raises(ConfigError):
        parse_shapes("x:1x3,2x3")
    with pytest.raises(ConfigError):
        parse_shapes("nonsense")


def test_key_is_stable_and_sensitive():
    a = BuildConfig(precision="fp16", opt_level=2, profiles=(ShapeProfile.fixed("x", (1, 3)),))
    b = BuildConfig(precision="FP16", opt_level=2, profiles=[ShapeProfile.fixed("x", [1, 3])])
    assert a == b and a.digest() == b.digest() and hash(a) == hash(b)
    json.dumps(a.key())  # JSON-able
    assert BuildConfig(opt_level=3).digest() != a.digest()
    # the timing cache location does not change the engine
    assert BuildConfig(timing_cache="/tmp/x").digest() == BuildConfig().digest()


def test_config_is_frozen():
    with pytest.raises(Exception):
        BuildConfig().precision = "fp16"  # type: ignore[misc]


def test_building_a_config_imports_no_tensorrt():
    code = ("import sys; from trtlab.builder import BuildConfig, ShapeProfile; "
            "BuildConfig(precision='fp16', profiles=(ShapeProfile.fixed('x', (1, 3)),)).digest(); "
            "print([m for m in sys.modules if m.startswith('tensorrt')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


dims = st.lists(st.integers(1, 64), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(dims, st.lists(st.integers(0, 16), min_size=4, max_size=4), st.sampled_from(["fp32", "tf32", "fp16"]),
       st.one_of(st.none(), st.integers(0, 5)))
def test_key_round_trips(base, extra, precision, level):
    lo = tuple(base)
    opt = tuple(d + extra[i % 4] for i, d in enumerate(lo))
    hi = tuple(d + extra[(i + 1) % 4] for i, d in enumerate(opt))
    c = BuildConfig(precision=precision, opt_level=level, profiles=(ShapeProfile("in", lo, opt, hi),))
    again = config_from_key(json.loads(json.dumps(c.key())))
    assert again == c and again.digest() == c.digest()
