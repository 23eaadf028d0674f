"""Generate the bad-input corpus: malformed inputs for every trtlab entry point that reads files.

``python tests/bad_inputs/generate.py`` (re)creates ``tests/bad_inputs/files/`` and
``cases.json``. Each case names its input (a file of ``files/``, a shared fixture, or a recipe
that ``runner.py`` runs at test time for inputs that need other trtlab objects - bundles,
engine plans, cache entries - or are too big to commit), the entry point that reads it, and
the expected outcome: ``error:<TrtlabError subclass>`` or ``ok`` (a documented, correct
result, asserted by a check in ``runner.CHECKS``). ``mentions`` lists what the error message
must contain (``{name}``: the input file's name; the default).

``python tests/bad_inputs/generate.py --report`` runs every case (as the test does) and writes
the outcome table of ``docs/reliability.md`` between its ``bad-input table`` markers, from
``cases.json`` and the messages actually observed, so the table stays true.

The files are small and deterministic (fixed seed), so the committed corpus equals the output
of this script (``tests/test_bad_inputs.py`` checks that).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"


def _conv_relu_model(name="tiny", *, node_names=("conv", "relu"), extra_nodes=(), inputs=None,
                     input_shape=(1, 3, 8, 8)) -> onnx.ModelProto:
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name=node_names[0], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["y"], name=node_names[1]),
        *extra_nodes,
    ]
    graph = helper.make_graph(
        nodes, name,
        inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _external_data_model(location: str) -> onnx.ModelProto:
    """A model whose only weight claims to live in external file ``location``."""
    model = _conv_relu_model()
    w = model.graph.initializer[0]
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(4 * 4 * 3 * 3 * 3))):
        entry = w.external_data.add()
        entry.key, entry.value = key, value
    return model


def _case(cid: str, entry: str, expect: str, why: str, *, file=None, fixture=None, make=None,
          mentions=None) -> dict:
    case = {"id": cid, "entry": entry, "expect": expect, "why": why}
    for key, value in (("file", file), ("fixture", fixture), ("make", make), ("mentions", mentions)):
        if value is not None:
            case[key] = value
    return case


def onnx_cases(rng: np.random.Generator) -> list[dict]:
    good = _conv_relu_model().SerializeToString()
    cases = []

    def add(cid, data, expect, why, entry="load_onnx", mentions=None):
        (FILES / cid).write_bytes(data)
        cases.append(_case(cid, entry, expect, why, file=cid, mentions=mentions))

    add("onnx_truncated_half.onnx", good[: len(good) // 2], "error:ModelLoadError",
        "a valid model cut in half")
    add("onnx_truncated_10_bytes.onnx", good[:10], "error:ModelLoadError", "only the first 10 bytes")
    add("onnx_random_bytes.onnx", rng.bytes(4096), "error:ModelLoadError", "4 KiB of random bytes")
    add("onnx_zero_bytes.onnx", b"", "error:ModelLoadError", "an empty file is not a model")
    add("onnx_text_file.onnx", b"this is not an onnx model\n" * 10, "error:ModelLoadError",
        "a text file with an .onnx suffix")
    add("onnx_json_file.onnx", json.dumps({"graph": {"node": []}}).encode(), "error:ModelLoadError",
        "JSON, not protobuf")
    tensor = numpy_helper.from_array(np.arange(6, dtype=np.float32), "t").SerializeToString()
    add("onnx_wrong_message_tensorproto.onnx", tensor, "error:ModelLoadError",
        "a serialized TensorProto, not a ModelProto (protobuf with the wrong types)")
    # protobuf with a field of the wrong wire type: field 7 (graph) as a varint
    add("onnx_wrong_wire_type.onnx", b"\x38\x05" + good, "error:ModelLoadError",
        "ModelProto.graph encoded as an integer")

    cyc = _conv_relu_model(extra_nodes=())
    # make the Conv read the Relu's output: c = Conv(y), y = Relu(c)
    cyc.graph.node[0].input[0] = "y"
    add("onnx_cycle.onnx", cyc.SerializeToString(), "error:ModelLoadError",
        "Conv reads Relu's output and Relu reads Conv's: a cycle")

    missing = _conv_relu_model()
    missing.graph.node[1].input[0] = "nobody_makes_this"
    add("onnx_missing_node_input.onnx", missing.SerializeToString(), "ok",
        "a node reads a tensor nobody produces: loads, the tensor is reported dangling")

    dup = _conv_relu_model(node_names=("same", "same"))
    add("onnx_duplicate_node_names.onnx", dup.SerializeToString(), "ok",
        "two nodes named 'same': loads with stable unique names")

    noname = _conv_relu_model(node_names=("", ""))
    add("onnx_unnamed_nodes.onnx", noname.SerializeToString(), "ok",
        "nodes without names: loads with generated names")

    neg = _conv_relu_model(input_shape=(1, 3, -5, 8))
    add("onnx_negative_dim.onnx", neg.SerializeToString(), "ok",
        "an input dimension of -5: loads, the dimension is shown as unknown")

    huge = _conv_relu_model(input_shape=(1 << 20, 1 << 20, 1, 1))
    add("onnx_absurd_shape_2pow40.onnx", huge.SerializeToString(), "ok",
        "an input of 2^40 elements: shapes are metadata, nothing is allocated")

    lie = _conv_relu_model()
    lie.graph.initializer[0].dims[:] = [1 << 20, 1 << 20]  # claims 2^40 floats, holds 108
    add("onnx_initializer_size_lie.onnx", lie.SerializeToString(), "error:ModelLoadError",
        "an initializer claims 2^40 elements but stores 108")

    custom = _conv_relu_model(extra_nodes=(helper.make_node("Frobnicate", ["y"], ["z"], name="frob",
                                                            domain="com.example"),))
    custom.opset_import.append(helper.make_opsetid("com.example", 1))
    add("onnx_unknown_op.onnx", custom.SerializeToString(), "ok",
        "an op from an unknown domain: loads, the op is shown as custom")

    for cid, loc, why in (
        ("onnx_extdata_parent_escape.onnx", "../../etc/passwd", "external data at ../../etc/passwd"),
        ("onnx_extdata_absolute.onnx", "/etc/passwd", "external data at an absolute path"),
        ("onnx_extdata_missing.onnx", "does_not_exist.bin", "external data file that does not exist"),
        ("onnx_extdata_symlink_out.onnx", "link_out.bin", "external data through a symlink to /etc/passwd"),
    ):
        add(cid, _external_data_model(loc).SerializeToString(), "error:ModelLoadError", why)
    add("onnx_extdata_nul_byte.onnx", _external_data_model("w\0.bin").SerializeToString(), "error:ModelLoadError",
        "an external-data location with a NUL byte", mentions=["{name}", "null byte"])
    add("onnx_extdata_long_name.onnx", _external_data_model("w" * 5000).SerializeToString(), "error:ModelLoadError",
        "an external-data location of 5,000 characters", mentions=["{name}", "too long"])
    # the symlink itself (link_out.bin -> /etc/passwd) is made by the test in its temporary copy
    # of the corpus, so the repository holds no link out of itself
    next(c for c in cases if c["id"] == "onnx_extdata_symlink_out.onnx")["setup"] = {
        "symlink": ["link_out.bin", "/etc/passwd"]}

    short = FILES / "short_data.bin"
    short.write_bytes(b"\0" * 16)  # the model expects 432 bytes
    add("onnx_extdata_too_short.onnx", _external_data_model("short_data.bin").SerializeToString(),
        "error:ModelLoadError", "external data file shorter than the tensor it should hold")
    dollars = _conv_relu_model("model $\\alpha$", node_names=("conv$x$", "relu_$\\frac$"))
    add("onnx_dollar_names_drawn.onnx", dollars.SerializeToString(), "ok",
        "node and graph names with $...$ (matplotlib math): drawn literally, no math parsing", entry="load_onnx+draw")
    return cases


def layer_info_cases() -> list[dict]:
    cases = []

    def add(cid, text, expect, why, entry="load_layer_info", mentions=None):
        data = text if isinstance(text, bytes) else text.encode()
        (FILES / cid).write_bytes(data)
        cases.append(_case(cid, entry, expect, why, file=cid, mentions=mentions))

    layer = {"Name": "Conv_0 + Relu_1", "LayerType": "CaskConvolution",
             "Inputs": [{"Name": "input", "Dimensions": [1, 3, 8, 8], "Format/Datatype": "Row major linear FP32"}],
             "Outputs": [{"Name": "out", "Dimensions": [1, 4, 8, 8], "Format/Datatype": "Row major linear FP32"}]}
    good = json.dumps({"Layers": [layer], "Bindings": ["input", "out"]})
    add("li_truncated.json", good[: len(good) // 2], "error:LayerInfoError", "JSON cut in half")
    add("li_empty.json", "", "error:LayerInfoError", "an empty file", mentions=["{name}", "no layer information"])
    add("li_number.json", "42", "error:LayerInfoError", "a JSON number, not layer information",
        mentions=["{name}", "no layer information"])
    add("li_layers_not_list.json", json.dumps({"Layers": 5}), "error:LayerInfoError", "Layers is a number")
    add("li_layer_no_name.json", json.dumps({"Layers": [{"LayerType": "Reformat"}]}),
        "error:LayerInfoError", "a layer without a Name", mentions=["{name}", "layer 0", "'Name'"])
    add("li_name_wrong_type.json", json.dumps({"Layers": [{"Name": 17, "LayerType": "X"}]}),
        "error:LayerInfoError", "a layer Name that is a number", mentions=["{name}", "layer 0", "'Name'"])
    add("li_inputs_wrong_type.json", json.dumps({"Layers": [dict(layer, Inputs="input")]}),
        "error:LayerInfoError", "Inputs is a string, not a list", mentions=["{name}", "Conv_0 + Relu_1", "'Inputs'"])
    add("li_dims_strings.json",
        json.dumps({"Layers": [dict(layer, Inputs=[{"Name": "i", "Dimensions": ["a", None]}])]}),
        "error:LayerInfoError", "Dimensions hold strings and null", mentions=["{name}", "Dimensions", "['a', None]"])
    add("li_unknown_layer_type.json", json.dumps({"Layers": [dict(layer, LayerType="QuantumTunnel")]}),
        "ok", "an unknown LayerType is kept as is")
    add("li_unbalanced_pwn.json", json.dumps({"Layers": ["PWN(PWN(Clip_1, Add_2)", "Conv_3"]}),
        "ok", "a name with an unbalanced PWN( parses as a single name")
    add("li_unbalanced_foreign.json", json.dumps({"Layers": ["{ForeignNode[Conv_1...Relu_9]", "x || "]}),
        "ok", "an unbalanced {ForeignNode[ parses as a single name")
    add("li_is_a_profile.json", json.dumps([{"count": 10}, {"name": "Conv_0", "timeMs": 1.0,
                                                         "averageMs": 0.1, "percentage": 100.0}]),
        "error:LayerInfoError", "a per-layer profile given where layer information is expected")
    add("li_binary.json", bytes(range(256)) * 4, "error:LayerInfoError", "binary garbage")
    add("li_utf16.json", good.encode("utf-16"), "error:LayerInfoError", "UTF-16 text")
    add("li_deep_nesting.json", "[" * 100000 + "]" * 100000, "error:LayerInfoError",
        "100,000 nested lists (recursion bomb)")
    add("li_oneline_garbage.txt", "Layers:\nName: , LayerType: , Inputs: [ { Name: ", "error:LayerInfoError",
        "a one-line listing cut mid-layer: refused, naming the line", mentions=["{name}", "line 2", "unclosed"])

    add("profile_wrong_types.json", json.dumps([{"count": "many"}, {"name": 3, "timeMs": "x"}]),
        "error:LayerInfoError", "profile entries with wrong types", entry="load_profile")
    add("profile_not_list.json", json.dumps({"name": "Conv_0"}), "error:LayerInfoError",
        "a profile that is an object, not a list", entry="load_profile")
    add("profile_negative_time.json", json.dumps([{"count": 1}, {"name": "Conv_0", "timeMs": -1.0,
                                                               "averageMs": -1.0, "percentage": 0}]),
        "error:LayerInfoError", "a negative layer time", entry="load_profile")
    add("profile_matches_nothing.json",
        json.dumps([{"count": 1}] + [{"name": f"Nothing_{i}", "timeMs": 1.0, "averageMs": 1.0,
                                      "percentage": 10.0} for i in range(10)]),
        "ok", "a profile whose names match no ONNX node: map_fusion reports a mismatch",
        entry="map_fusion_profile")
    add("timing_wrong_types.json", json.dumps([{"latencyMs": "fast"}]), "error:LayerInfoError",
        "a timing record with a string latency", entry="load_timing")

    # more wrong types and values
    add("li_layers_null.json", json.dumps({"Layers": None}), "error:LayerInfoError", "Layers is null",
        mentions=["{name}", "'Layers'"])
    add("li_dims_overflow.json",
        json.dumps({"Layers": [dict(layer, Inputs=[{"Name": "i", "Dimensions": [1, 3]}])]}).replace("[1, 3]", "[1, 1e400]"),
        "error:LayerInfoError", "a dimension of 1e400 (JSON reads it as infinity)", mentions=["{name}", "Dimensions"])
    add("li_duplicate_layer_names.json", json.dumps({"Layers": [layer, layer]}), "ok",
        "two layers with the same name: both kept, with distinct keys (uid 'name#1')")
    add("profile_nan_time.json", '[{"count": 1}, {"name": "Conv_0", "timeMs": NaN, "averageMs": NaN, "percentage": 1}]',
        "error:LayerInfoError", "NaN layer times (JSON extension Python accepts)", entry="load_profile",
        mentions=["{name}", "nan"])
    add("profile_empty_list.json", "[]", "error:LayerInfoError", "an empty profile", entry="load_profile")
    add("timing_not_list.json", json.dumps({"latencyMs": 1.0}), "error:LayerInfoError",
        "a timing file that is one object, not a list", entry="load_timing")
    add("oneline_binary.txt", bytes(range(256)) * 4, "error:LayerInfoError",
        "binary garbage given to the one-line parser", entry="parse_oneline", mentions=["no layer information"])

    # the layer-name grammar: unbalanced names parse as one name, nesting is bounded
    for cid, text, why in (
        ("name_unbalanced_pwn.txt", "PWN(PWN(Clip_1, Add_2)", "an unbalanced PWN( parses as a single name"),
        ("name_unbalanced_foreign.txt", "{ForeignNode[Conv_1...Relu_9] + Add_3",
         "an unbalanced {ForeignNode[ parses as a single name"),
        ("name_closing_first.txt", ") + ( || ]", "brackets closed before opened: a single name"),
        ("name_deep_pwn.txt", "PWN(" * 5000 + "x" + ")" * 5000,
         "PWN nested 5,000 deep: parsed to a bounded depth (50), the rest kept whole; no recursion error"),
    ):
        add(cid, text, "ok", why, entry="parse_layer_name")
    return cases


def name_and_timing_cases() -> list[dict]:
    """Huge numbers in names, newlines in names, impossible times and counts, a missing file."""
    cases = []

    def add(cid, text, expect, why, entry, mentions=None):
        (FILES / cid).write_bytes(text.encode())
        cases.append(_case(cid, entry, expect, why, file=cid, mentions=mentions))

    add("name_profile_5000_digits.txt", "Conv_0 [profile " + "9" * 5000 + "]", "ok",
        "a [profile N] suffix with a 5,000-digit N (past Python's int-conversion limit): the name is kept whole",
        "parse_layer_name")
    add("name_reformat_huge_index.txt", "Reformatting CopyNode for Input Tensor " + "1" * 5000 + " to Conv_0", "ok",
        "a reformat name whose tensor index has 5,000 digits: a reformat layer with no index", "parse_layer_name")
    line = ("Name: {}, LayerType: CaskPooling, Inputs: [ {{ Name: {}, Location: Device, Dimensions: [1,4], "
            "Format/Datatype: Float }}], Outputs: [ {{ Name: {}, Location: Device, Dimensions: [1,4], "
            "Format/Datatype: Float }}], TacticName: sm50_xmma_pooling, StreamId: 0, Metadata: [ONNX Layer: {}]")
    add("oneline_newline_in_name.txt",
        "Layers:\n" + line.format("pool_a", "x", "t", "pool_a") + "\n" + line.format("pool\nb", "t", "y", "pool\nb")
        + "\n", "ok", "a layer name (and its Metadata) holding a newline: one layer, read whole, with a warning",
        "parse_oneline")
    add("timing_negative_latency.json", json.dumps([{"latencyMs": 1.0}, {"latencyMs": -2.5}]), "error:LayerInfoError",
        "a negative per-iteration latency", "load_timing", mentions=["{name}", "iteration 1", "negative"])
    add("timing_negative_span.json", json.dumps([{"startEnqMs": 5.0, "endEnqMs": 1.0, "latencyMs": 1.0}]),
        "error:LayerInfoError", "an enqueue that ends before it starts", "load_timing",
        mentions=["{name}", "enqueue", "endEnqMs - startEnqMs"])
    add("profile_times_overflow.json",
        json.dumps([{"count": 1}] + [{"name": f"L{i}", "timeMs": 1e308, "averageMs": 1e308, "percentage": 50}
                                     for i in range(2)]),
        "error:LayerInfoError", "two layer times of 1e308 ms: their sum overflows to infinity", "load_profile",
        mentions=["{name}", "overflow"])
    for cid, value in (("profile_nan_count.json", "NaN"), ("profile_infinity_count.json", "Infinity")):
        add(cid, '[{"count": ' + value + '}, {"name": "Conv_0", "timeMs": 1.0, "averageMs": 1.0, "percentage": 100}]',
            "error:LayerInfoError", f"an iteration count of {value}", "load_profile",
            mentions=["{name}", "'count'", value.lower() if value == "NaN" else "inf"])
    cases.append(_case("li_missing_file_colon_in_name", "load_layer_info_str", "error:LayerInfoError",
                       "a path string without suffix and with a ':' that does not exist: 'file not found'",
                       make="missing_path", mentions=["file not found", "{name}"]))
    cases.append(_case("li_metadata_200k_names.json", "load_layer_info", "ok",
                       "one layer whose Metadata names 200,000 ONNX nodes (4 MB): read in linear time",
                       make="metadata_200k_names"))
    return cases


def fixture_cases() -> list[dict]:
    """The deliberately broken real models of the shared fixtures (Polygraphy's test models)."""
    cases = []
    for stem, why in (
        ("bad_graph_conditionally_invalid", "Polygraphy's conditionally invalid graph: loads (valid structure)"),
        ("bad_graph_with_dup_value_info", "a graph input declared twice: loads, kept once, with a warning"),
        ("bad_graph_with_duplicate_node_names", "two nodes named 'identical': loads with unique names"),
        ("bad_graph_with_no_name", "a graph without a name: loads"),
        ("empty", "a model with no nodes: loads as an empty graph"),
    ):
        cases.append(_case(f"fixture_{stem}", "load_onnx", "ok", why, fixture=f"onnx/{stem}.onnx"))
    return cases


def build_cases() -> list[dict]:
    """Corpus models given to build_engine (TensorRT for RTX, on the CPU)."""
    return [
        _case("build_cycle", "build_engine", "error:BuildError", "a cyclic graph: the TensorRT parser's error, named",
              file="onnx_cycle.onnx", mentions=["topologically"]),
        _case("build_truncated", "build_engine", "error:ModelLoadError", "a truncated model",
              file="onnx_truncated_half.onnx"),
        _case("build_extdata_absolute", "build_engine", "error:ModelLoadError",
              "external data at /etc/passwd: refused before anything is read", file="onnx_extdata_absolute.onnx",
              mentions=["{name}", "/etc/passwd", "absolute"]),
        _case("build_extdata_parent_escape", "build_engine", "error:ModelLoadError",
              "external data at ../../etc/passwd: refused", file="onnx_extdata_parent_escape.onnx",
              mentions=["{name}", "outside"]),
        _case("build_extdata_symlink_out", "build_engine", "error:ModelLoadError",
              "external data through a symlink to /etc/passwd: refused (it was read into the engine before)",
              file="onnx_extdata_symlink_out.onnx", mentions=["{name}", "outside"]),
        _case("build_extdata_nul_byte", "build_engine", "error:ModelLoadError",
              "an external-data location with a NUL byte", file="onnx_extdata_nul_byte.onnx",
              mentions=["{name}", "null byte"]),
        _case("build_extdata_long_name", "build_engine", "error:ModelLoadError",
              "an external-data location of 5,000 characters", file="onnx_extdata_long_name.onnx",
              mentions=["{name}", "too long"]),
        _case("build_unknown_op", "build_engine", "error:BuildError", "an op TensorRT has no importer or plugin for",
              file="onnx_unknown_op.onnx", mentions=["frob", "Frobnicate"]),
        _case("build_absurd_shape", "build_engine", "error:BuildError", "an input of 2^40 elements",
              file="onnx_absurd_shape_2pow40.onnx", mentions=["conv"]),
        _case("build_initializer_size_lie", "build_engine", "error:BuildError",
              "an initializer claiming 2^40 elements", file="onnx_initializer_size_lie.onnx", mentions=["initializer"]),
        _case("build_negative_dim", "build_engine", "ok",
              "an input dimension of -5 is a dynamic dimension to TensorRT: builds with the default profile",
              file="onnx_negative_dim.onnx"),
    ]


def made_cases() -> list[dict]:
    """Inputs built at test time by runner.make(): too big to commit, or made by trtlab itself."""
    cases = [
        _case("li_huge_200mb.json", "load_layer_info", "error:LayerInfoError",
              "a 200 MB layer-information file: refused by size before reading (limit 64 MiB)",
              make="sparse_200mb_json", mentions=["{name}", "64 MiB"]),
        _case("profile_huge_200mb.json", "load_profile", "error:LayerInfoError",
              "a 200 MB profile: refused by size before reading", make="sparse_200mb_json",
              mentions=["{name}", "64 MiB"]),
        _case("li_million_layers.json", "load_layer_info", "ok",
              "10^6 layer names (27 MB): parsed in ~10 s, peak RSS 0.85 GiB (bound checked in a fresh process)",
              make="million_layer_names"),
    ]
    for cid, expect, why, mention in (
        ("bundle_altered_member", "error:BundleError", "layer_info.json edited after saving", ["layer_info.json", "sha256"]),
        ("bundle_truncated", "error:BundleError", "a bundle cut in half", ["{name}"]),
        ("bundle_not_zip", "error:BundleError", "a file starting with the zip magic that is not a zip", ["{name}"]),
        ("bundle_no_manifest", "error:BundleError", "a zip without manifest.json", ["{name}", "manifest.json"]),
        ("bundle_extra_member", "error:BundleError", "a member (evil.py) not listed in the manifest", ["evil.py"]),
        ("bundle_missing_member", "error:BundleError", "a member listed in the manifest is missing",
         ["layer_info.json"]),
        ("bundle_future_version", "error:BundleError", "manifest version 99", ["{name}", "version 99"]),
        ("bundle_foreign_format", "error:BundleError", "a manifest of another format", ["{name}", "something-else"]),
        ("bundle_deflate_corrupt", "error:BundleError", "one byte changed inside model.onnx's deflate stream "
         "(zlib.error escaped before)", ["{name}"]),
        ("bundle_unknown_compression", "error:BundleError", "model.onnx stored with an unknown compression "
         "method (NotImplementedError escaped before)", ["{name}", "compression"]),
        ("bundle_zip_bomb", "error:BundleError",
         "a 100 MiB profile.json of zeros (100 kB compressed) listed honestly in the manifest: refused by size "
         "before inflating", ["profile.json", "64 MiB"]),
        ("bundle_manifest_members_list", "error:BundleError", "manifest 'members' is a list, not an object",
         ["{name}", "members"]),
        ("bundle_manifest_version_string", "error:BundleError", "manifest version is the string '1'",
         ["{name}", "version"]),
        ("bundle_metadata_not_json", "error:BundleError", "metadata.json is not JSON (its hash matches)",
         ["{name}", "metadata.json"]),
        ("bundle_metadata_list", "error:BundleError", "metadata.json is a list (its hash matches)",
         ["{name}", "metadata.json"]),
        ("bundle_layer_info_not_utf8", "error:BundleError", "layer_info.json is binary (its hash matches)",
         ["{name}", "layer_info.json"]),
        ("bundle_path_traversal_member", "ok",
         "a member named ../../escaped.txt (listed, hash correct): opens; members are read into memory, never "
         "extracted, so nothing is written", None),
    ):
        cases.append(_case(f"{cid}.trtlab", "load_bundle", expect, why, make=cid, mentions=mention))
    cases.append(_case("bundle_corrupt_model_consistent_hashes.trtlab", "load_bundle+fusion", "error:ModelLoadError",
                       "a truncated model.onnx with a manifest rewritten to match: opens, exploring it fails clearly",
                       make="bundle_corrupt_model_consistent_hashes", mentions=["not a valid ONNX model"]))
    for cid, why, mention in (
        ("plan_truncated", "a saved plan cut in half", ["{name}", "truncated"]),
        ("plan_byte_flipped", "one byte of a saved plan changed", ["{name}", "sha256"]),
        ("plan_no_sidecar", "a plan without its .json sidecar (nothing to verify against)", ["{name}", "sidecar"]),
        ("plan_sidecar_not_json", "a sidecar that is not JSON", ["{name}.json"]),
        ("plan_sidecar_of_another_plan", "a sidecar whose sha256 belongs to another plan", ["{name}", "sha256"]),
        ("plan_is_a_directory", "a folder named like a plan", ["{name}"]),
        ("plan_sidecar_wrong_types", "a sidecar with the plan's hash but build_seconds 'fast', layer_info 17",
         ["{name}.json"]),
    ):
        cases.append(_case(cid, "load_engine", "error:BundleError", why, make=cid, mentions=mention))
    for cid, why in (
        ("cache_entry_byte_flipped", "a cache entry with one plan byte changed"),
        ("cache_entry_truncated", "a cache entry missing its last 100 bytes"),
        ("cache_entry_random_bytes", "a cache entry replaced by random bytes"),
        ("cache_entry_header_lies", "a cache entry whose header hash was edited"),
    ):
        cases.append(_case(cid, "cache_rebuild", "ok",
                           why + ": refused with a warning, deleted, rebuilt; the cache holds one valid entry again",
                           make=cid))
    return cases


def _external_tensor(name: str, location: str) -> TensorProto:
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=[4, 3, 3, 3])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(4 * 4 * 3 * 3 * 3))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return tensor


def _constant_external_model(location: str) -> onnx.ModelProto:
    """The conv/relu model whose weight is a Constant node's value kept in external file ``location``."""
    model = _conv_relu_model()
    del model.graph.initializer[:]
    const = helper.make_node("Constant", [], ["w"], name="weights", value=_external_tensor("w_value", location))
    model.graph.node.insert(0, const)
    return model


def _if_body_external_model(location: str) -> onnx.ModelProto:
    """y = If(cond): the then-branch holds an initializer kept in external file ``location``."""
    then = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["t"], name="then_conv", pads=[1, 1, 1, 1])], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, None)], initializer=[_external_tensor("w", location)])
    other = helper.make_graph([helper.make_node("Identity", ["x"], ["e"], name="else_id")], "else", [],
                              [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    graph = helper.make_graph(
        [helper.make_node("If", ["cond"], ["y"], name="branch", then_branch=then, else_branch=other)], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8]),
         helper.make_tensor_value_info("cond", TensorProto.BOOL, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _config_file(cid: str, kwargs: dict) -> str:
    (FILES / cid).write_text(json.dumps(kwargs, sort_keys=True) + "\n")
    return cid


def reliability_cases() -> list[dict]:
    """Nested external data, hostile bundle and sidecar content, damaged cache headers, config ranges."""
    cases = []
    nested = (
        ("onnx_extdata_constant_escape.onnx", _constant_external_model("../../etc/passwd"),
         "a Constant node's value kept in external data at ../../etc/passwd", ["{name}", "outside"], None),
        ("onnx_extdata_if_body_symlink.onnx", _if_body_external_model("link_body.bin"),
         "an If branch's initializer kept in external data through a symlink to /etc/passwd",
         ["{name}", "outside"], ["link_body.bin", "/etc/passwd"]),
    )
    for cid, model, why, mention, link in nested:
        (FILES / cid).write_bytes(model.SerializeToString())
        for entry in ("load_onnx", "build_engine"):
            case = _case(cid if entry == "load_onnx" else "build_" + cid.replace(".onnx", "").replace("onnx_", ""),
                         entry, "error:ModelLoadError", why + ": refused before anything is read",
                         file=cid, mentions=mention)
            if link and entry == "load_onnx":  # one link in the corpus copy serves both cases
                case["setup"] = {"symlink": link}
            cases.append(case)
    for cid, kwargs, why, mention in (
        ("config_workspace_2pow50.json", {"workspace_mib": 2**50},
         "workspace_mib 2^50 (the pool limit in bytes overflows TensorRT's 64-bit size)", ["17,592,186,044,415"]),
        ("config_profile_dim_2pow63.json",
         {"profiles": [{"input": "x", "min": [1, 3, 8, 8], "opt": [1, 3, 8, 8], "max": [1, 3, 8, 2**63]}]},
         "a profile dimension of 2^63 (TensorRT's dimensions are 32-bit)", ["2,147,483,647"]),
        ("config_dynamic_dims_2pow31.json", {"dynamic_dims": [1, 1, 2**31]},
         "dynamic_dims max 2^31", ["2,147,483,647"]),
    ):
        cases.append(_case(cid, "BuildConfig", "error:ConfigError", why, file=_config_file(cid, kwargs),
                           mentions=mention))
    for cid, expect, why, mention in (
        ("bundle_duplicate_entries", "error:BundleError",
         "layer_info.json written twice in the zip (the second copy differs)", ["{name}", "twice", "layer_info.json"]),
        ("bundle_many_unlisted", "error:BundleError",
         "3,000 entries not in the manifest: a short message that counts them", ["{name}", "3,000 member(s)"]),
    ):
        cases.append(_case(f"{cid}.trtlab", "load_bundle", expect, why, make=cid, mentions=mention))
    for cid, expect, why, mention in (
        ("bundle_layer_info_wrong_format", "error:LayerInfoError",
         "layer_info.json is JSON but not layer information (hash matches)", ["{name}", "layer_info.json"]),
        ("bundle_layer_info_is_a_path", "error:LayerInfoError",
         "layer_info.json holds the text '/etc/passwd': parsed as text, never opened", ["{name}", "layer_info.json"]),
        ("bundle_profile_is_a_path", "error:LayerInfoError",
         "profile.json holds the text '/etc/hostname': parsed as text, never opened", ["{name}", "profile.json"]),
    ):
        cases.append(_case(f"{cid}.trtlab", "load_bundle+fusion", expect, why, make=cid, mentions=mention))
    cases.append(_case("plan_sidecar_layer_info_is_a_path", "load_engine+layers", "error:LayerInfoError",
                       "a sidecar whose layer_info is the text '/etc/passwd': parsed as text, never opened",
                       make="plan_sidecar_layer_info_is_a_path", mentions=["{name}.json", "layer information"]))
    cases.append(_case("plan_huge_sparse", "load_engine", "error:BundleError",
                       "a 17 GiB (sparse) plan: refused by size before reading", make="plan_huge_sparse",
                       mentions=["{name}", "MiB"]))
    for cid, why in (
        ("cache_header_plan_bytes_null", "a cache header with plan_bytes null (TypeError before)"),
        ("cache_header_plan_bytes_inf", "a cache header with plan_bytes 1e999 (OverflowError before)"),
    ):
        cases.append(_case(cid, "cache_rebuild", "ok",
                           why + ": refused with a warning, deleted, rebuilt; the cache holds one valid entry again",
                           make=cid))
    cases.append(_case("build_dynamic_dims_fixed", "build_engine", "ok",
                       "height and width dynamic, no profile: builds with each dimension fixed, and says so",
                       fixture="onnx/dynamic_identity.onnx"))
    return cases


def generate() -> list[dict]:
    FILES.mkdir(parents=True, exist_ok=True)
    for p in FILES.iterdir():
        p.unlink()
    rng = np.random.default_rng(20261121)
    cases = (onnx_cases(rng) + layer_info_cases() + name_and_timing_cases() + fixture_cases() + build_cases()
             + made_cases() + reliability_cases())
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    (HERE / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")
    return cases


REPORT_BEGIN = "<!-- bad-input table: begin (python tests/bad_inputs/generate.py --report) -->"
REPORT_END = "<!-- bad-input table: end -->"


def report(doc: Path) -> int:
    """Run every case and write the outcome table into ``doc`` between the markers."""
    import tempfile

    sys.path.insert(0, str(HERE))
    import runner

    rows = ["| # | case | entry point | input | expected | observed | message / result |",
            "|---|---|---|---|---|---|---|"]
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        files = runner.prepare(Path(tmp))
        for i, case in enumerate(runner.load_cases(), 1):
            work = Path(tmp) / f"case{i}"
            work.mkdir()
            out = runner.run_case(case, files, work)
            if out.kind == "ok":
                check = runner.CHECKS.get(case["id"])
                try:
                    if check is None:
                        raise AssertionError("no check")
                    check(out, work)
                    text = "checked: " + case["why"].split(": ", 1)[-1]
                except AssertionError as exc:
                    text = f"CHECK FAILED {exc}"
                    bad += 1
            elif out.kind == "skip":
                text = f"skipped here: {out.message}"
            else:
                text = runner.summarize(out.message.replace(tmp, "<tmp>").replace(str(HERE), "tests/bad_inputs"))
            if out.kind != "skip" and out.label != case["expect"]:
                bad += 1
                text = "**UNEXPECTED** " + text
            source = (f"`files/{case['file']}`" if case.get("file") else
                      f"fixture `{case['fixture']}`" if case.get("fixture") else f"made: `{case['make']}`")
            cell = lambda t: t.replace("|", "\\|").replace("\n", " ")
            rows.append(f"| {i} | {cell(case['why'])} | `{case['entry']}` | {source} | {case['expect']} | "
                        f"{out.label} | {cell(text)} |")
    table = "\n".join(rows)
    text = doc.read_text() if doc.exists() else ""
    if REPORT_BEGIN in text and REPORT_END in text:
        head, rest = text.split(REPORT_BEGIN, 1)
        tail = rest.split(REPORT_END, 1)[1]
        text = f"{head}{REPORT_BEGIN}\n{table}\n{REPORT_END}{tail}"
    else:
        text = f"{text}\n{REPORT_BEGIN}\n{table}\n{REPORT_END}\n"
    doc.write_text(text)
    print(f"wrote {len(rows) - 2} cases to {doc}; {bad} unexpected")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", nargs="?", const=str(HERE.parent.parent / "docs" / "reliability.md"),
                        metavar="DOC", help="run every case and write the outcome table into DOC")
    args = parser.parse_args(argv)
    if args.report:
        return report(Path(args.report))
    cases = generate()
    print(f"wrote {len(cases)} cases to {FILES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
