"""Fuzz targets and hypothesis strategies, shared by tests/fuzz/test_fuzz.py (a bounded run) and
bench/fuzz_long.py (a long run).

A target feeds one input to a trtlab entry point and uses the result the way a notebook would
(repr, HTML, graph, summary). It may end in two ways only: a result (the target returns
``"accepted"``), or a :class:`~trtlab.TrtlabError` (``"refused"``). Anything else propagates
and is a bug.

Seeds are real files: the shared fixtures' layer information, profiles and timings (real
TensorRT 8.x outputs), Polygraphy's ONNX test models, and the one-line layer listing of a real
TensorRT-for-RTX build made on this CPU.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

import trtlab
import trtlab.data
from trtlab.engine import load_layer_info, load_profile, load_timing, parse_layer_name, parse_oneline
from trtlab.engine.names import KINDS

ROOT = Path(__file__).resolve().parents[2]

# ----------------------------------------------------------------------------- seeds


def fixtures() -> Path | None:
    return trtlab.data.shared_fixtures()


@lru_cache(maxsize=None)
def json_seeds() -> dict[str, list]:
    """Real layer-info / profile / timing JSON, by kind (empty lists without the fixtures)."""
    out: dict[str, list] = {"layer_info": [], "profile": [], "timing": []}
    root = fixtures()
    if root is None:
        return out
    for folder in sorted((root / "trt-layerinfo").iterdir()):
        if not folder.is_dir():
            continue
        out["layer_info"].append(json.loads((folder / "engine.graph.json").read_text()))
        out["profile"].append(json.loads((folder / "engine.profile.json").read_text()))
        if (folder / "engine.timing.json").is_file():
            # the first 40 iterations: the full file (430 kB) would make each example slow
            out["timing"].append(json.loads((folder / "engine.timing.json").read_text())[:40])
    for name in ("googlenet-jetson-gpu.profile.json", "googlenet-jetson-gpu.layer_times.json"):
        out["profile"].append(json.loads((root / "trt-profiles" / name).read_text()))
    return out


@lru_cache(maxsize=None)
def onnx_seeds() -> list[bytes]:
    root = fixtures()
    data = []
    if root is not None:
        for name in ("conv.onnx", "attention.onnx", "loop.onnx", "matmul_2layer.onnx", "multi_output.onnx",
                     "dim_param.onnx", "custom_op_node.onnx", "add_with_dup_inputs.onnx"):
            data.append((root / "onnx" / name).read_bytes())
    return data


@lru_cache(maxsize=None)
def oneline_seeds() -> list[str]:
    """The one-line layer listing of a real TensorRT-for-RTX build (empty without the wheels)."""
    try:
        import tensorrt_rtx_bindings  # noqa: F401
    except ImportError:
        return []
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))
    try:
        import runner
    finally:
        sys.path.pop(0)
    engine = runner._built_engine()
    return [engine.layer_info_text] if engine.layer_info_format == "oneline" else []


@lru_cache(maxsize=None)
def bundle_seeds() -> list[bytes]:
    """A real exploration bundle (the tiny model, its layer information and a profile)."""
    import sys
    import tempfile

    sys.path.insert(0, str(ROOT / "tests" / "bad_inputs"))
    try:
        import runner
    finally:
        sys.path.pop(0)
    with tempfile.TemporaryDirectory() as tmp:
        return [runner._good_bundle(Path(tmp)).read_bytes()]


# ----------------------------------------------------------------------------- strategies
json_leaf = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=12,
)
# keys TensorRT files use, so random dicts reach deeper into the parsers
TRT_KEYS = ["Layers", "Bindings", "Name", "LayerType", "Inputs", "Outputs", "Dimensions", "Format/Datatype",
            "TacticName", "Origin", "Metadata", "name", "timeMs", "averageMs", "medianMs", "percentage", "count",
            "latencyMs", "startEnqMs", "endEnqMs", "computeMs", "I/O Tensors", "ParameterType"]
trt_json = st.recursive(
    json_leaf,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(TRT_KEYS) | st.text(max_size=8),
                                                              kids, max_size=5),
    max_leaves=16,
)


def _paths(obj, prefix=(), out=None, limit=400):
    """Every (container path) inside ``obj``, breadth-first, at most ``limit``."""
    out = [] if out is None else out
    queue = [(prefix, obj)]
    while queue and len(out) < limit:
        path, node = queue.pop(0)
        out.append(path)
        if isinstance(node, dict):
            queue.extend((path + (k,), v) for k, v in node.items())
        elif isinstance(node, list):
            queue.extend((path + (i,), v) for i, v in enumerate(node))
    return out


@st.composite
def mutated_json(draw, seeds: list):
    """A real JSON document with 1-3 subtrees replaced, deleted or retyped."""
    doc = json.loads(json.dumps(draw(st.sampled_from(seeds))))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        if not path:
            doc = draw(trt_json)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "stringify", "negate"]))
        if action == "delete":
            del parent[key]
        elif action == "stringify":
            parent[key] = json.dumps(parent[key])[:40]
        elif action == "negate" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
            parent[key] = -parent[key] - 1
        else:
            parent[key] = draw(trt_json)
    return doc


@st.composite
def mutated_bytes(draw, seeds: list[bytes]):
    """A real file with 1-4 byte-level mutations: flips, truncation, insertion, deletion, duplication."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            data += draw(st.binary(min_size=1, max_size=16))
            continue
        pos = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "set", "truncate", "insert", "delete", "duplicate"]))
        if op == "flip":
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[pos] = draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x08, 0x0A, 0x12]))
        elif op == "truncate":
            del data[pos:]
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        else:
            end = min(len(data), pos + draw(st.integers(1, 64)))
            data[pos:pos] = data[pos:end]
    return bytes(data)


@st.composite
def mutated_text(draw, seeds: list[str]):
    """Real text with 1-4 edits: characters TensorRT's one-line format uses, inserted or removed."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            text = draw(st.text(max_size=20))
            continue
        pos = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "truncate", "swap"]))
        if op == "insert":
            text = text[:pos] + draw(st.text(alphabet="{}[](),:; \n+|.", min_size=1, max_size=4)
                                     | st.text(max_size=6)) + text[pos:]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)):]
        elif op == "truncate":
            text = text[:pos]
        else:
            a, b = sorted((pos, draw(st.integers(0, len(text)))))
            text = text[b:] + text[a:b] + text[:a]
    return text


# names of nodes without separators, brackets or the words TensorRT's grammar gives meaning to
NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_/-:#"
plain_name = st.text(alphabet=NAME_ALPHABET, min_size=1, max_size=16).filter(
    lambda s: not s.startswith(("copied_", "Reformatting")))
dotted_name = st.text(alphabet=NAME_ALPHABET + ".", min_size=1, max_size=16).filter(
    lambda s: not s.startswith(("copied_", "Reformatting")))


def pwn_tree(max_leaves: int = 12):
    """A random PWN(...) nesting: a leaf is a name, an inner node a list of children."""
    return st.recursive(plain_name, lambda kids: st.lists(kids, min_size=1, max_size=4), max_leaves=max_leaves)


def pwn_text(tree) -> str:
    if isinstance(tree, str):
        return tree
    return "PWN(" + ", ".join(pwn_text(t) for t in tree) + ")"


def pwn_leaves(tree) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    return [leaf for t in tree for leaf in pwn_leaves(t)]


# ----------------------------------------------------------------------------- targets
def use_plan(plan) -> None:
    """What a notebook does with an EnginePlan."""
    repr(plan)
    plan._repr_html_()
    graph = plan.nx
    assert graph.number_of_nodes() == len(plan.layers)
    for layer in plan.layers:
        layer.precision  # noqa: B018 - a property that reads the tensors


def target_layer_name(text: str) -> str:
    name = parse_layer_name(text)
    assert name.kind in KINDS
    leaves = name.leaves()
    assert all(isinstance(leaf, str) for leaf in leaves)
    name.ranges()
    return "accepted"


def target_layer_info(src) -> str:
    try:
        plan = load_layer_info(src)
    except trtlab.LayerInfoError:
        return "refused"
    use_plan(plan)
    return "accepted"


def target_oneline(text: str) -> str:
    try:
        plan = parse_oneline(text)
    except trtlab.LayerInfoError:
        return "refused"
    use_plan(plan)
    return "accepted"


def target_profile(src) -> str:
    try:
        profile = load_profile(src)
    except trtlab.LayerInfoError:
        return "refused"
    repr(profile)
    profile._repr_html_()
    profile.total_ms  # noqa: B018
    profile.by_name  # noqa: B018
    return "accepted"


def target_timing(src) -> str:
    try:
        timing = load_timing(src)
    except trtlab.LayerInfoError:
        return "refused"
    repr(timing)
    timing._repr_html_()
    timing.stats  # noqa: B018
    return "accepted"


def target_onnx(data: bytes) -> str:
    try:
        graph = trtlab.load_onnx(data)
    except trtlab.ModelLoadError:
        return "refused"
    repr(graph)
    graph.topological_order()
    graph.summary()
    return "accepted"


@lru_cache(maxsize=None)
def _resnet_graph():
    return trtlab.load_onnx(ROOT / "trtlab" / "data" / "resnet18.onnx")


def target_fusion(src) -> str:
    """Mutated layer information of a real ResNet-18 engine, mapped onto the ResNet-18 model."""
    import warnings

    try:
        plan = load_layer_info(src)
    except trtlab.LayerInfoError:
        return "refused"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "belongs to another model" warnings are expected here
        try:
            report = trtlab.map_fusion(_resnet_graph(), plan)
        except trtlab.TrtlabError:
            return "refused"
    report.summary()
    report._repr_html_()
    return "accepted"


def target_bundle(data: bytes) -> str:
    """Mutated bytes of a real bundle, opened and explored (load_bundle reads a path)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.trtlab"
        path.write_bytes(data)
        try:
            bundle = trtlab.load_bundle(path)
            bundle._repr_html_()
            bundle.fusion()
        except trtlab.TrtlabError:
            return "refused"
    return "accepted"
