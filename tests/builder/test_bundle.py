"""Saving/loading plans and exploration bundles; tampering and truncation are caught."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from trtlab import BundleError
from trtlab.builder import load_bundle, load_engine, save_bundle

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.rtx


def test_plan_round_trip(built, tmp_path):
    eng = built("inception_block")
    path = eng.save(tmp_path / "ib.plan")
    side = json.loads(Path(str(path) + ".json").read_text())
    assert side["backend"] == "tensorrt_rtx_bindings" and side["plan_bytes"] == len(eng.plan)
    loaded = load_engine(path, model=ROOT / "trtlab" / "data" / "inception_block.onnx")
    assert loaded.plan == eng.plan and loaded.config == eng.config
    assert len(loaded.layer_info) == len(eng.layer_info)
    # the loaded engine explores like the built one: same layers, same ONNX nodes, same summary
    built_report, loaded_report = eng.fusion(), loaded.fusion()
    assert [(r.name, r.kind, r.onnx_nodes) for r in loaded_report.layers] == \
        [(r.name, r.kind, r.onnx_nodes) for r in built_report.layers]
    assert loaded_report.summary().rows == built_report.summary().rows
    assert not loaded_report.is_mismatch and loaded_report.coverage == built_report.coverage > 0


def test_truncated_or_altered_plan(built, tmp_path):
    eng = built("inception_block")
    path = eng.save(tmp_path / "ib.plan")
    path.write_bytes(eng.plan[: len(eng.plan) // 2])
    with pytest.raises(BundleError, match="truncated or was altered"):
        load_engine(path)
    altered = bytearray(eng.plan)
    altered[100] ^= 1
    path.write_bytes(bytes(altered))
    with pytest.raises(BundleError, match="sha256"):
        load_engine(path)


def test_plan_without_sidecar(built, tmp_path):
    path = tmp_path / "bare.plan"
    path.write_bytes(built("inception_block").plan)
    with pytest.raises(BundleError, match="no sidecar"):
        load_engine(path)
    assert load_engine(path, verify=False).plan == path.read_bytes()
    with pytest.raises(BundleError, match="does not exist"):
        load_engine(tmp_path / "nope.plan")


def test_bundle_from_built_engine(built, tmp_path):
    eng = built("inception_block")
    path = save_bundle(tmp_path / "ib.trtlab", eng)
    b = load_bundle(path)
    assert b.model_bytes == eng.model_bytes and b.layer_info_text == eng.layer_info_text
    assert b.metadata["backend"] == "tensorrt_rtx_bindings" and b.plan is None and b.profile is None
    assert len(b.layer_info) == len(eng.layer_info) and len(b.onnx) == len(eng.onnx)
    r1, r2 = b.fusion(), eng.fusion()
    assert [layer.onnx_nodes for layer in r1.layers] == [layer.onnx_nodes for layer in r2.layers]
    assert "<table>" in b._repr_html_()


def test_bundle_from_parts_with_profile(fixtures, tmp_path):
    folder = fixtures / "trt-layerinfo" / "resnet18-a100-fp32"
    path = save_bundle(tmp_path / "r.trtlab", {
        "onnx": ROOT / "trtlab" / "data" / "resnet18.onnx",
        "layer_info": folder / "engine.graph.json",
        "profile": folder / "engine.profile.json",
        "metadata": {"device": "A100"},
    })
    b = load_bundle(path)
    assert b.layer_info_format == "json" and len(b.layer_info) == 32
    assert b.profile is not None and len(b.profile.layers) > 0 and b.metadata["device"] == "A100"


def _rewrite(path: Path, member: str, data: bytes):
    with zipfile.ZipFile(path) as zf:
        items = {n: zf.read(n) for n in zf.namelist()}
    items[member] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in items.items():
            zf.writestr(n, d)


def test_altered_truncated_and_foreign_bundles(built, tmp_path):
    eng = built("inception_block")
    good = save_bundle(tmp_path / "ib.trtlab", eng)
    blob = good.read_bytes()

    altered = tmp_path / "altered.trtlab"
    altered.write_bytes(blob)
    _rewrite(altered, "layer_info.txt", b"Layers:\nName: evil")
    with pytest.raises(BundleError, match="does not match its sha256"):
        load_bundle(altered)

    truncated = tmp_path / "truncated.trtlab"
    truncated.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(BundleError, match="truncated"):
        load_bundle(truncated)

    extra = tmp_path / "extra.trtlab"
    extra.write_bytes(blob)
    _rewrite(extra, "payload.so", b"\x7fELF")
    with pytest.raises(BundleError, match="not in its manifest"):
        load_bundle(extra)

    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(BundleError, match="not a trtlab bundle"):
        load_bundle(foreign)

    with pytest.raises(BundleError, match="does not exist"):
        load_bundle(tmp_path / "missing.trtlab")


# ---------------------------------------------------------------- hostile bundles and sidecars
def _bundle(tmp_path: Path, members: dict[str, bytes], *, extra: list[tuple[str, bytes]] = ()) -> Path:
    """A bundle whose manifest lists ``members`` (with their real hashes), plus unlisted ``extra`` entries."""
    import hashlib
    import warnings

    manifest = {"format": "trtlab-bundle", "version": 1,
                "members": {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in members.items()}}
    path = tmp_path / "b.trtlab"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("manifest.json", json.dumps(manifest))
            for name, data in [*members.items(), *extra]:
                zf.writestr(name, data)
    return path


def _model() -> bytes:
    return (ROOT / "trtlab" / "data" / "inception_block.onnx").read_bytes()


def test_duplicate_zip_entries_are_a_bundle_error(tmp_path):
    good = b'{"Layers": [], "Bindings": []}'
    path = _bundle(tmp_path, {"model.onnx": _model(), "layer_info.json": good},
                   extra=[("layer_info.json", b"a second, different copy")])
    with pytest.raises(BundleError, match="holds 1 name.*twice.*'layer_info.json'"):
        load_bundle(path)


def test_thousands_of_unlisted_entries_get_a_short_message(tmp_path):
    path = _bundle(tmp_path, {"model.onnx": _model(), "layer_info.txt": b"x"},
                   extra=[(f"junk/{i}.txt", b"") for i in range(3000)])
    with pytest.raises(BundleError) as exc:
        load_bundle(path)
    message = str(exc.value)
    assert "3,000 member(s) not in its manifest" in message and "and 2,997 more" in message
    assert len(message) < 400


@pytest.mark.parametrize("member, content", [("layer_info.json", b"{not json"),
                                             ("profile.json", b'{"not": "a profile"}')])
def test_a_member_in_the_wrong_format_names_the_bundle_and_the_member(tmp_path, member, content):
    members = {"model.onnx": _model(), "layer_info.json": b'{"Layers": [], "Bindings": []}', member: content}
    bundle = load_bundle(_bundle(tmp_path, members))
    with pytest.raises(Exception) as exc:
        bundle.profile if member == "profile.json" else bundle.layer_info
    assert f"bundle member {member!r}" in str(exc.value) and "b.trtlab" in str(exc.value)


@pytest.mark.parametrize("member", ["layer_info.json", "profile.json"])
def test_member_text_that_looks_like_a_path_is_never_opened(tmp_path, member):
    secret = tmp_path / "secret.json"
    secret.write_text('[{"name": "SECRET-CONTENT", "averageMs": 1, "percentage": 100}]')
    members = {"model.onnx": _model(), "layer_info.json": b'{"Layers": [], "Bindings": []}'}
    members[member] = str(secret).encode()
    bundle = load_bundle(_bundle(tmp_path, members))
    with pytest.raises(Exception) as exc:
        bundle.profile if member == "profile.json" else bundle.layer_info
    assert "SECRET-CONTENT" not in str(exc.value)


def test_sidecar_layer_info_that_looks_like_a_path_is_never_opened(built, tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"Layers": ["SECRET-LAYER"], "Bindings": []}')
    path = built("inception_block").save(tmp_path / "ib.plan")
    side_path = Path(str(path) + ".json")
    side = json.loads(side_path.read_text())
    side["layer_info"], side["layer_info_format"] = str(secret), "json"
    side_path.write_text(json.dumps(side))
    loaded = load_engine(path)
    with pytest.raises(Exception) as exc:
        [layer.name for layer in loaded.layer_info.layers]
    assert "SECRET-LAYER" not in str(exc.value)


def test_a_huge_plan_is_refused_before_reading(tmp_path, monkeypatch):
    import trtlab.builder.bundle as bundle_mod

    path = tmp_path / "big.plan"
    path.write_bytes(b"\0" * 4096)
    monkeypatch.setattr(bundle_mod, "_PLAN_LIMIT", 1024)
    with pytest.raises(BundleError, match="more than the"):
        load_engine(path, verify=False)


def test_a_bundle_larger_than_its_members_may_be_is_refused_before_opening(tmp_path, monkeypatch):
    import trtlab.builder.bundle as bundle_mod

    path = tmp_path / "big.trtlab"
    with open(path, "wb") as fh:
        fh.truncate(8192)
    monkeypatch.setattr(bundle_mod, "_BUNDLE_LIMIT", 4096)
    with pytest.raises(BundleError, match="more than a bundle's members may add up to"):
        load_bundle(path)


def test_save_bundle_parts_that_are_not_text_are_config_errors(tmp_path):
    from trtlab import ConfigError

    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    with pytest.raises(ConfigError, match="layer_info bytes is not UTF-8"):
        save_bundle(tmp_path / "b.trtlab", {"onnx": model, "layer_info": b"\xff\xfe"})
    binary = tmp_path / "layers.bin"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match="layers.bin"):
        save_bundle(tmp_path / "b.trtlab", {"onnx": model, "layer_info": binary})
