"""Run the bad-input corpus (``cases.json``) through trtlab's entry points.

Shared by ``tests/test_bad_inputs.py`` (which asserts every outcome) and
``generate.py --report`` (which writes the table of ``docs/reliability.md`` from the outcomes
it observes, so the table stays true).

A case names its input in one of three ways:

- ``"file"``: a file of ``files/`` (made by ``generate.py``);
- ``"fixture"``: a file of the shared real-world fixtures (``trtlab.data.shared_fixtures()``);
- ``"make"``: a recipe below that builds the input at run time in a scratch folder (inputs that
  need other trtlab objects - bundles, engine plans, cache entries - or are too big to commit).

``expect`` is ``error:<TrtlabError subclass>`` or ``ok``; an ``ok`` case has a check in
:data:`CHECKS` that asserts the documented result. ``mentions`` lists strings the error message
must contain (``{name}`` stands for the input file's name).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
CASES = HERE / "cases.json"


def load_cases() -> list[dict]:
    return json.loads(CASES.read_text())


@dataclass
class Outcome:
    """What an entry point did with one case."""

    kind: str                     # "ok", "error" (a TrtlabError), "raw" (anything else: a bug), "skip"
    error: str | None = None      # exception class name
    message: str = ""
    result: Any = None
    path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"error:{self.error}" if self.kind in ("error", "raw") else self.kind


class Skip(Exception):
    """The case cannot run here (a missing optional dependency or fixture)."""


# ----------------------------------------------------------------------------- workspace
def prepare(workdir: Path) -> Path:
    """Copy the corpus into ``workdir/files`` and apply each case's ``setup`` (symlinks)."""
    dst = workdir / "files"
    shutil.copytree(FILES, dst)
    for case in load_cases():
        for name, target in [case.get("setup", {}).get("symlink", [])] if case.get("setup") else []:
            os.symlink(target, dst / name)
    return dst


def _fixture(rel: str) -> Path:
    import trtlab.data

    root = trtlab.data.shared_fixtures()
    if root is None:
        raise Skip("shared fixtures not found (set TRTLAB_FIXTURES)")
    return root / rel


def _rtx():
    try:
        import tensorrt_rtx_bindings  # noqa: F401
    except ImportError as exc:
        raise Skip("needs the TensorRT for RTX wheels (tensorrt_rtx_bindings)") from exc


# ----------------------------------------------------------------------------- recipes
def _tiny_model_bytes() -> bytes:
    import sys

    sys.path.insert(0, str(HERE))
    try:
        from generate import _conv_relu_model
    finally:
        sys.path.pop(0)
    return _conv_relu_model().SerializeToString()


_LAYER_INFO = {"Layers": [{"Name": "conv + relu", "LayerType": "CaskConvolution",
                           "Inputs": [{"Name": "x", "Dimensions": [1, 3, 8, 8], "Format/Datatype": "Row major linear FP32"}],
                           "Outputs": [{"Name": "y", "Dimensions": [1, 4, 8, 8], "Format/Datatype": "Row major linear FP32"}]}],
               "Bindings": ["x", "y"]}


def _good_bundle(work: Path) -> Path:
    from trtlab.builder import save_bundle

    return save_bundle(work / "good.trtlab", {"onnx": _tiny_model_bytes(), "layer_info": _LAYER_INFO,
                                              "profile": [{"count": 1}, {"name": "conv + relu", "timeMs": 1.0,
                                                                         "averageMs": 1.0, "percentage": 100.0}]})


def _rewrite_zip(src: Path, dst: Path, edit: Callable[[dict[str, bytes]], None]) -> Path:
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    edit(members)
    with zipfile.ZipFile(dst, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return dst


def _manifest_edit(fn):
    def edit(members):
        manifest = json.loads(members["manifest.json"])
        fn(manifest, members)
        members["manifest.json"] = json.dumps(manifest).encode()
    return edit


def _set_member(name: str, data: bytes):
    """A manifest edit that replaces member ``name`` and updates its hash to match."""
    def edit(manifest, members):
        import hashlib

        members[name] = data
        manifest["members"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    return edit


# edits whose manifest stays consistent: only trtlab's own checks of the content can catch them
_CONSISTENT_EDITS = {
    "bundle_manifest_members_list": lambda man, m: man.__setitem__("members", list(man["members"])),
    "bundle_manifest_version_string": lambda man, m: man.__setitem__("version", "1"),
    "bundle_metadata_not_json": _set_member("metadata.json", b"{ not json"),
    "bundle_metadata_list": _set_member("metadata.json", b"[1, 2, 3]"),
    "bundle_layer_info_not_utf8": _set_member("layer_info.json", bytes(range(256))),
}


def _damage_member(good: Path, out: Path, name: str, how: str) -> Path:
    """Damage one member in place: a byte inside its deflate stream, or its compression method."""
    import struct

    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo(name)
    start = info.header_offset  # local file header: 30 bytes, then name and extra field
    name_len, extra_len = struct.unpack_from("<HH", data, start + 26)
    if how == "bundle_deflate_corrupt":
        data[start + 30 + name_len + extra_len + info.compress_size // 2] ^= 0x55
    else:  # compression method 99 (AE-x) in the local and the central header
        struct.pack_into("<H", data, start + 8, 99)
        central = data.find(b"PK\x01\x02")
        while data[central + 46:central + 46 + struct.unpack_from("<H", data, central + 28)[0]] != name.encode():
            central = data.find(b"PK\x01\x02", central + 4)  # the next central-directory entry
        struct.pack_into("<H", data, central + 10, 99)
    out.write_bytes(bytes(data))
    return out


def _zip_bomb(good: Path, out: Path) -> Path:
    """The good bundle plus a 100 MiB profile.json of zeros (100 kB compressed), listed honestly."""
    import hashlib

    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members.pop("manifest.json"))
    members.pop("profile.json", None)
    chunk, n = b"\0" * 2**20, 100
    digest = hashlib.sha256()
    for _ in range(n):
        digest.update(chunk)
    manifest["members"]["profile.json"] = {"sha256": digest.hexdigest(), "bytes": n * len(chunk)}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, data in members.items():
            zf.writestr(name, data)
        with zf.open("profile.json", "w", force_zip64=True) as fh:
            for _ in range(n):
                fh.write(chunk)
    return out


_BUILT: dict[str, Any] = {}


def _built_engine():
    """One real TensorRT-for-RTX engine of the tiny model, built once per process."""
    _rtx()
    if "tiny" not in _BUILT:
        from trtlab.builder import build_engine

        _BUILT["tiny"] = build_engine(_tiny_model_bytes())
    return _BUILT["tiny"]


def _saved_plan(work: Path, name: str) -> Path:
    from trtlab.builder import save_engine

    return save_engine(_built_engine(), work / name)


def _cache_entry(work: Path) -> tuple[Path, Path]:
    """A cache folder holding one real entry of the tiny model; returns (cache dir, entry path)."""
    from trtlab.builder import EngineCache, build_engine

    _rtx()
    cache = EngineCache(work / "cache")
    build_engine(_tiny_model_bytes(), cache=cache)
    (entry,) = cache.entries()
    return cache.path, entry


def _flip(path: Path, offset_from_end: int) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))


def _with_extra_entries(good: Path, out: Path, extra: list[tuple[str, bytes]]) -> Path:
    """The good bundle plus zip entries the manifest does not list (a name may repeat one it lists)."""
    with zipfile.ZipFile(good) as zf:
        members = [(n, zf.read(n)) for n in zf.namelist()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about a duplicate name: that is the point
        with zipfile.ZipFile(out, "w") as zf:
            for name, data in members + extra:
                zf.writestr(name, data)
    return out


def _edit_cache_header(entry: Path, edit: Callable[[dict], None]) -> None:
    """Rewrite a cache entry's JSON header (1e999 is written as Infinity, which json reads back as inf)."""
    import struct

    from trtlab.builder.cache import MAGIC

    blob = entry.read_bytes()
    (hlen,) = struct.unpack_from("<I", blob, len(MAGIC))
    start = len(MAGIC) + 4
    meta = json.loads(blob[start:start + hlen])
    edit(meta)
    header = json.dumps(meta, sort_keys=True).replace("Infinity", "1e999").encode()
    entry.write_bytes(MAGIC + struct.pack("<I", len(header)) + header + blob[start + hlen:])


def make(case: dict, work: Path) -> Path:
    """Build the input of a ``make`` case in ``work``; returns the path the entry point reads."""
    recipe = case["make"]
    out = work / case["id"]
    if recipe == "sparse_200mb_json":
        with open(out, "wb") as fh:  # sparse: 200 MB on paper, no disk used, nothing to read
            fh.truncate(200 * 1024 * 1024)
        return out
    if recipe == "missing_path":
        return work / case["id"]  # never created
    if recipe == "metadata_200k_names":
        meta = "\x1e".join(f"[ONNX Layer: /blocks/n{i}/MatMul]" for i in range(200_000))
        out.write_text(json.dumps({"Layers": [{"Name": "{ForeignNode[/blocks/n0/MatMul.../blocks/n199999/MatMul]}",
                                               "LayerType": "Myelin", "Inputs": [], "Outputs": [],
                                               "Metadata": meta}], "Bindings": []}))
        return out
    if recipe == "million_layer_names":
        out.write_text(json.dumps({"Layers": [f"Conv_{i} + Relu_{i}" for i in range(1_000_000)]}))
        return out
    if recipe.startswith("bundle_"):
        good = _good_bundle(work)
        if recipe == "bundle_altered_member":
            return _rewrite_zip(good, out, lambda m: m.__setitem__(
                "layer_info.json", m["layer_info.json"].replace(b"conv + relu", b"conv + relx")))
        if recipe == "bundle_truncated":
            out.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
            return out
        if recipe == "bundle_not_zip":
            out.write_bytes(b"PK\x03\x04 this is not really a zip file" * 10)
            return out
        if recipe == "bundle_no_manifest":
            return _rewrite_zip(good, out, lambda m: m.pop("manifest.json"))
        if recipe == "bundle_extra_member":
            return _rewrite_zip(good, out, lambda m: m.__setitem__("evil.py", b"import os; os.system('true')"))
        if recipe == "bundle_missing_member":
            return _rewrite_zip(good, out, lambda m: m.pop("layer_info.json"))
        if recipe == "bundle_future_version":
            return _rewrite_zip(good, out, _manifest_edit(lambda man, m: man.__setitem__("version", 99)))
        if recipe == "bundle_foreign_format":
            return _rewrite_zip(good, out, _manifest_edit(lambda man, m: man.__setitem__("format", "something-else")))
        if recipe == "bundle_path_traversal_member":
            def add_traversal(man, m):
                import hashlib

                data = b"should never be written anywhere"
                m["../../escaped.txt"] = data
                man["members"]["../../escaped.txt"] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            return _rewrite_zip(good, out, _manifest_edit(add_traversal))
        if recipe in ("bundle_deflate_corrupt", "bundle_unknown_compression"):
            return _damage_member(good, out, "model.onnx", recipe)
        if recipe == "bundle_zip_bomb":
            return _zip_bomb(good, out)
        if recipe in _CONSISTENT_EDITS:
            return _rewrite_zip(good, out, _manifest_edit(_CONSISTENT_EDITS[recipe]))
        if recipe == "bundle_duplicate_entries":
            return _with_extra_entries(good, out, [("layer_info.json", b"a second, different copy")])
        if recipe == "bundle_many_unlisted":
            return _with_extra_entries(good, out, [(f"junk/{i}.txt", b"") for i in range(3000)])
        if recipe == "bundle_layer_info_wrong_format":
            return _rewrite_zip(good, out, _manifest_edit(_set_member("layer_info.json", b'{"not": "layer info"}')))
        if recipe == "bundle_layer_info_is_a_path":
            return _rewrite_zip(good, out, _manifest_edit(_set_member("layer_info.json", b"/etc/passwd")))
        if recipe == "bundle_profile_is_a_path":
            return _rewrite_zip(good, out, _manifest_edit(_set_member("profile.json", b"/etc/hostname")))
        if recipe == "bundle_corrupt_model_consistent_hashes":
            def corrupt(man, m):
                import hashlib

                m["model.onnx"] = m["model.onnx"][: len(m["model.onnx"]) // 2]
                man["members"]["model.onnx"] = {"sha256": hashlib.sha256(m["model.onnx"]).hexdigest(),
                                                "bytes": len(m["model.onnx"])}
            return _rewrite_zip(good, out, _manifest_edit(corrupt))
        raise KeyError(recipe)
    if recipe.startswith("plan_"):
        plan = _saved_plan(work, case["id"])
        side = Path(str(plan) + ".json")
        if recipe == "plan_truncated":
            plan.write_bytes(plan.read_bytes()[: plan.stat().st_size // 2])
        elif recipe == "plan_byte_flipped":
            _flip(plan, 1000)
        elif recipe == "plan_no_sidecar":
            side.unlink()
        elif recipe == "plan_sidecar_not_json":
            side.write_text("{ this is not json")
        elif recipe == "plan_sidecar_of_another_plan":
            meta = json.loads(side.read_text())
            meta["plan_sha256"] = "0" * 64
            side.write_text(json.dumps(meta))
        elif recipe == "plan_sidecar_wrong_types":
            meta = json.loads(side.read_text())
            meta.update(build_seconds="fast", layer_info=17, config="fp32")
            side.write_text(json.dumps(meta))
        elif recipe == "plan_sidecar_layer_info_is_a_path":
            meta = json.loads(side.read_text())
            meta.update(layer_info="/etc/passwd", layer_info_format="json")
            side.write_text(json.dumps(meta))
        elif recipe == "plan_huge_sparse":
            with open(plan, "r+b") as fh:  # sparse: 17 GiB on paper, no disk used, nothing to read
                fh.truncate(17 * 2**30)
        elif recipe == "plan_is_a_directory":
            plan.unlink()
            plan.mkdir()
        else:
            raise KeyError(recipe)
        return plan
    if recipe.startswith("cache_"):
        root, entry = _cache_entry(work)
        if recipe == "cache_entry_byte_flipped":
            _flip(entry, 5000)  # inside the plan
        elif recipe == "cache_entry_truncated":
            entry.write_bytes(entry.read_bytes()[:-100])
        elif recipe == "cache_entry_random_bytes":
            entry.write_bytes(os.urandom(4096))
        elif recipe == "cache_header_plan_bytes_null":
            _edit_cache_header(entry, lambda meta: meta.__setitem__("plan_bytes", None))
        elif recipe == "cache_header_plan_bytes_inf":
            _edit_cache_header(entry, lambda meta: meta.__setitem__("plan_bytes", float("inf")))
        elif recipe == "cache_entry_header_lies":
            data = entry.read_bytes()
            entry.write_bytes(data.replace(b'"layers_sha256": "', b'"layers_sha256": "0', 1))
        else:
            raise KeyError(recipe)
        return root
    raise KeyError(f"unknown recipe {recipe!r}")


# ----------------------------------------------------------------------------- entry points
def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def _cache_rebuild(root: Path):
    """Build the same model into the damaged cache: the entry must be refused and rebuilt."""
    from trtlab.builder import EngineCache, build_engine

    cache = EngineCache(root)
    return build_engine(_tiny_model_bytes(), cache=cache), cache


def _map_fusion_profile(path: Path):
    import trtlab

    graph = trtlab.load_onnx(_fixture("onnx/residual_block.onnx"))
    return trtlab.map_fusion(graph, trtlab.load_profile(path))


def _explore_bundle(path: Path):
    import trtlab

    bundle = trtlab.load_bundle(path)
    return bundle.fusion()


def _build_config(path: Path):
    """A BuildConfig from the JSON of its keyword arguments (profiles as lists of dicts)."""
    from trtlab.builder import BuildConfig, ShapeProfile

    kwargs = json.loads(_text(path))
    profiles = tuple(ShapeProfile(p["input"], p["min"], p["opt"], p["max"]) for p in kwargs.pop("profiles", ()))
    return BuildConfig(profiles=profiles, **kwargs)


def _entry(name: str) -> Callable[[Path], Any]:
    import trtlab
    from trtlab.engine import parse_layer_name, parse_oneline

    def build(path):
        _rtx()
        return trtlab.build_engine(path)

    def engine_layers(path):
        return trtlab.load_engine(path).layer_info

    return {
        "load_onnx": trtlab.load_onnx,
        "load_onnx+draw": lambda p: trtlab.load_onnx(p).draw(show_shapes=True),
        "build_engine": build,
        "load_layer_info": trtlab.load_layer_info,
        "load_layer_info_str": lambda p: trtlab.load_layer_info(str(p)),
        "parse_oneline": lambda p: parse_oneline(_text(p)),
        "parse_layer_name": lambda p: parse_layer_name(_text(p)),
        "load_profile": trtlab.load_profile,
        "load_timing": trtlab.load_timing,
        "map_fusion_profile": _map_fusion_profile,
        "load_bundle": trtlab.load_bundle,
        "load_bundle+fusion": _explore_bundle,
        "load_engine": trtlab.load_engine,
        "cache_rebuild": _cache_rebuild,
        "load_engine+layers": engine_layers,
        "BuildConfig": _build_config,
    }[name]


def input_path(case: dict, files: Path, work: Path) -> Path:
    if case.get("file"):
        return files / case["file"]
    if case.get("fixture"):
        path = _fixture(case["fixture"])
        if not path.exists():
            raise Skip(f"fixture {case['fixture']} not found")
        return path
    return make(case, work)


def run_case(case: dict, files: Path, work: Path) -> Outcome:
    """Run one case; never raises (an unexpected exception is reported as kind ``raw``)."""
    from trtlab import TrtlabError

    try:
        path = input_path(case, files, work)
        fn = _entry(case["entry"])
    except Skip as why:
        return Outcome("skip", message=str(why))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(path)
        except Skip as why:
            return Outcome("skip", message=str(why), path=path)
        except TrtlabError as exc:
            return Outcome("error", type(exc).__name__, str(exc), path=path,
                           warnings=[str(w.message) for w in caught])
        except BaseException as exc:  # noqa: BLE001 - the corpus exists to find these
            if isinstance(exc, KeyboardInterrupt):
                raise
            return Outcome("raw", type(exc).__name__, f"{type(exc).__name__}: {exc}", path=path)
    return Outcome("ok", result=result, path=path, warnings=[str(w.message) for w in caught])


# ----------------------------------------------------------------------------- checks of ok cases
def _check_missing_input(out, work):
    g = out.result
    assert "nobody_makes_this" in g.dangling, g.dangling
    assert any("nobody_makes_this" in w for w in g.warnings)


def _check_dup_names(out, work):
    assert list(out.result.nx) == ["same", "same__1"]
    assert any("'same'" in w for w in out.result.warnings)


def _check_unnamed(out, work):
    assert list(out.result.nx) == ["Conv_0", "Relu_1"]


def _check_negative_dim(out, work):
    assert out.result.inputs[0].shape == (1, 3, None, 8)


def _check_absurd_shape(out, work):
    assert out.result.inputs[0].shape == (1 << 20, 1 << 20, 1, 1)


def _check_unknown_op(out, work):
    g = out.result
    assert g.node("frob").domain == "com.example" and g.node("frob").op_type == "Frobnicate"


def _check_unknown_layer_type(out, work):
    assert out.result.layers[0].layer_type == "QuantumTunnel"


def _check_duplicate_layers(out, work):
    plan = out.result
    assert [layer.uid for layer in plan.layers] == ["Conv_0 + Relu_1", "Conv_0 + Relu_1#1"]
    assert plan.layers[0].name == plan.layers[1].name and len(plan.nx) == 2


def _check_single_names(expected):
    def check(out, work):
        names = [layer.name for layer in out.result.layers]
        assert names == expected, names
        from trtlab.engine import parse_layer_name

        assert parse_layer_name(expected[0]).kind == "single"
    return check


def _check_single(out, work):
    name = out.result
    assert name.kind == "single" and name.leaves() == [name.text], name


def _check_profile_kept_whole(out, work):
    name = out.result
    assert name.kind == "single" and name.profile is None and name.text.endswith("9]"), name.text[:40]


def _check_reformat_huge_index(out, work):
    name = out.result
    assert name.kind == "reformat" and name.tensor_index is None and name.target.text == "Conv_0"


def _check_newline_in_name(out, work):
    plan = out.result
    assert [layer.name for layer in plan.layers] == ["pool_a", "pool\nb"]
    assert plan.layers[1].onnx_nodes_from_metadata == ["pool\nb"] and plan.layers[1].layer_type == "CaskPooling"
    assert any("newline" in w for w in out.warnings)


def _check_metadata_200k(out, work):
    layer = out.result.layers[0]
    assert len(layer.onnx_nodes_from_metadata) == 200_000
    assert layer.onnx_nodes_from_metadata[-1] == "/blocks/n199999/MatMul"


def _check_deep_pwn(out, work):
    name = out.result
    assert name.kind == "pointwise"  # parsed down to the depth bound, then kept whole
    leaves = name.leaves()
    assert len(leaves) == 1 and leaves[0].startswith("PWN(")


def _check_profile_mismatch(out, work):
    report = out.result
    assert report.coverage == 0.0
    assert len(report.unmatched) == 10 and report.unmatched[0] == "Nothing_0"
    assert any("another model" in w for w in out.warnings), out.warnings


def _check_million(out, work):
    plan = out.result
    assert len(plan) == 1_000_000
    assert plan.layers[-1].name == "Conv_999999 + Relu_999999"


def _check_fixture_dup_value_info(out, work):
    assert any("declared twice" in w for w in out.result.warnings)


def _check_fixture_dup_nodes(out, work):
    assert sorted(out.result.nx) == ["identical", "identical__1"]


def _check_fixture_no_name(out, work):
    assert len(out.result) == 1 and out.result.name == "bad_graph_with_no_name"


def _check_fixture_conditional(out, work):
    assert len(out.result) == 2


def _check_empty(out, work):
    assert len(out.result) == 0 and out.result.inputs == [] and out.result.outputs == []


def _check_traversal_member(out, work):
    # the bundle opens (every member matches the manifest) but nothing is written anywhere:
    # load_bundle reads members into memory and never extracts
    assert out.result.layer_info_format == "json"
    assert not (out.path.parent.parent / "escaped.txt").exists()
    assert not (work.parent / "escaped.txt").exists()


def _check_rebuilt(out, work):
    engine, cache = out.result
    assert engine.from_cache is False and len(engine.plan) > 0
    assert any("discarding engine cache entry" in w for w in out.warnings), out.warnings
    (entry,) = cache.entries()  # one valid entry again
    assert cache.get(engine.key) is not None


def _check_dollar_names_drawn(out, work):
    from matplotlib.text import Text

    drawing = out.result
    assert drawing.to_png()[:4] == b"\x89PNG"  # rendering parses every text
    shown = []
    for text in drawing.figure.findobj(Text):
        literal, is_math = text._preprocess_math(text.get_text())
        assert not is_math, text.get_text()
        shown.append(literal)
    assert {"conv$x$", "relu_$\\frac$"} <= {line for s in shown for line in s.split("\n")}, shown
    drawing.close()


def _check_negative_dim_build(out, work):
    assert len(out.result.plan) > 0


def _check_dynamic_dims_fixed(out, work):
    engine = out.result
    said = [w for w in out.warnings if "dynamic dimension" in w]
    assert len(said) == 1 and "X[2] (height) = 1" in said[0] and "X[3] (width) = 1" in said[0], out.warnings
    assert engine.notes and "X[2] (height)" in engine.notes[0]


CHECKS: dict[str, Callable[[Outcome, Path], None]] = {
    "onnx_missing_node_input.onnx": _check_missing_input,
    "onnx_duplicate_node_names.onnx": _check_dup_names,
    "onnx_unnamed_nodes.onnx": _check_unnamed,
    "onnx_negative_dim.onnx": _check_negative_dim,
    "onnx_absurd_shape_2pow40.onnx": _check_absurd_shape,
    "onnx_unknown_op.onnx": _check_unknown_op,
    "li_unknown_layer_type.json": _check_unknown_layer_type,
    "li_duplicate_layer_names.json": _check_duplicate_layers,
    "li_unbalanced_pwn.json": _check_single_names(["PWN(PWN(Clip_1, Add_2)", "Conv_3"]),
    "li_unbalanced_foreign.json": _check_single_names(["{ForeignNode[Conv_1...Relu_9]", "x || "]),
    "name_unbalanced_pwn.txt": _check_single,
    "name_unbalanced_foreign.txt": _check_single,
    "name_closing_first.txt": _check_single,
    "name_deep_pwn.txt": _check_deep_pwn,
    "name_profile_5000_digits.txt": _check_profile_kept_whole,
    "name_reformat_huge_index.txt": _check_reformat_huge_index,
    "oneline_newline_in_name.txt": _check_newline_in_name,
    "li_metadata_200k_names.json": _check_metadata_200k,
    "profile_matches_nothing.json": _check_profile_mismatch,
    "li_million_layers.json": _check_million,
    "fixture_bad_graph_with_dup_value_info": _check_fixture_dup_value_info,
    "fixture_bad_graph_with_duplicate_node_names": _check_fixture_dup_nodes,
    "fixture_bad_graph_with_no_name": _check_fixture_no_name,
    "fixture_bad_graph_conditionally_invalid": _check_fixture_conditional,
    "fixture_empty": _check_empty,
    "bundle_path_traversal_member.trtlab": _check_traversal_member,
    "cache_entry_byte_flipped": _check_rebuilt,
    "cache_entry_truncated": _check_rebuilt,
    "cache_entry_random_bytes": _check_rebuilt,
    "cache_entry_header_lies": _check_rebuilt,
    "build_negative_dim": _check_negative_dim_build,
    "onnx_dollar_names_drawn.onnx": _check_dollar_names_drawn,
    "cache_header_plan_bytes_null": _check_rebuilt,
    "cache_header_plan_bytes_inf": _check_rebuilt,
    "build_dynamic_dims_fixed": _check_dynamic_dims_fixed,
}


def mentions(case: dict, out: Outcome) -> list[str]:
    """The strings the case's error message must contain."""
    name = out.path.name if out.path is not None else case["id"]
    return [m.replace("{name}", name) for m in case.get("mentions", ["{name}"])]


def summarize(message: str, limit: int = 160) -> str:
    """A message shortened for the report table, with scratch paths made readable."""
    text = " ".join(message.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

