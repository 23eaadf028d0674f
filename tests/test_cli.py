"""The ``trtlab`` command: show, build (the README's main job), info, fusion; errors exit 2 in one line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from trtlab.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOOGLENET = ROOT / "trtlab" / "data" / "googlenet.onnx"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRTLAB_CACHE_DIR", str(tmp_path / "engine-cache"))


def test_main_job_builds_googlenet_end_to_end(tmp_path):
    """README: ``trtlab build trtlab/data/googlenet.onnx -o out/googlenet`` (a real process, real RTX build)."""
    pytest.importorskip("tensorrt_rtx_bindings")
    if not GOOGLENET.is_file():
        pytest.skip("trtlab/data/googlenet.onnx not generated")
    out = tmp_path / "out" / "googlenet"
    proc = subprocess.run([sys.executable, "-m", "trtlab.cli", "build", str(GOOGLENET), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "coverage" in proc.stdout and "vertical" in proc.stdout
    for name in ("googlenet.plan", "googlenet.plan.json", "layer_info.txt", "engine_plan.json", "summary.txt",
                 "googlenet.trtlab", "googlenet.fusion.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert (out / "googlenet.fusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the interactive page is self-contained: the graph library and the data inline, nothing fetched
    page = (out / "googlenet.fusion.html").read_text()
    assert "inception_3a/1x1" in page and "cytoscape" in page.lower()
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']https?:", page)
    # the written layer information maps again through `trtlab fusion`
    assert main(["fusion", str(GOOGLENET), str(out / "layer_info.txt"), "-o", str(tmp_path / "f")]) == 0
    assert (tmp_path / "f" / "googlenet.fusion.png").is_file()
    assert (tmp_path / "f" / "googlenet.fusion.html").is_file()


def test_build_options_and_cache(tmp_path, capsys):
    pytest.importorskip("tensorrt_rtx_bindings")
    model = str(ROOT / "trtlab" / "data" / "inception_block.onnx")
    assert main(["build", model, "--fp16", "--opt-level", "2", "--workspace", "256"]) == 0
    first = capsys.readouterr().out
    assert "(fp16) in" in first and "coverage" in first
    assert main(["build", model, "--fp16", "--opt-level", "2", "--workspace", "256"]) == 0
    assert "from the engine cache" in capsys.readouterr().out
    assert main(["build", model, "--fp16", "--opt-level", "2", "--workspace", "256", "--no-cache"]) == 0
    assert "from the engine cache" not in capsys.readouterr().out


def test_info_prints_the_backend_table(capsys):
    pytest.importorskip("tensorrt_rtx_bindings")
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "tensorrt_rtx_bindings" in out and "can run engines here" in out


def test_show(tmp_path, capsys):
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    assert main(["show", str(model), "-o", str(tmp_path), "--format", "svg"]) == 0
    assert "Conv" in capsys.readouterr().out
    assert (tmp_path / "inception_block.svg").is_file() and (tmp_path / "inception_block.summary.txt").is_file()


@pytest.mark.parametrize("argv, word", [
    (["build", "/no/such/model.onnx"], "not found"),
    (["build", "{fixtures}/onnx/custom_op_node.onnx"], "NegPos"),
    (["build", "{data}/inception_block.onnx", "--shapes", "x:1x3,1x3,1x3"], "no such input"),
    (["build", "{data}/inception_block.onnx", "--shapes", "input:4x3x64x64,2x3x64x64,1x3x64x64"], "min <= opt <= max"),
    (["build", "{data}/inception_block.onnx", "--opt-level", "9"], "opt_level 9"),
    (["build", "{data}/inception_block.onnx", "--compute-capability", "sm99"], "sm99"),
    (["build", "{data}/inception_block.onnx", "--cache-dir", "{blocker}/cache"], "cannot be created"),
    (["show", "{blocker}"], "blocker"),
    (["fusion", "{data}/inception_block.onnx", "{blocker}"], ""),
])
def test_errors_are_one_line_exit_2(argv, word, tmp_path, capsys, fixtures):
    pytest.importorskip("tensorrt_rtx_bindings")
    blocker = tmp_path / "blocker"
    blocker.write_text("not a model")
    argv = [a.format(fixtures=fixtures, data=ROOT / "trtlab" / "data", blocker=blocker) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("trtlab: error: ") and err.count("\n") == 1 and word in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["show", "build"])
def test_no_traceback_in_a_real_process(command, tmp_path):
    if command == "build":  # build resolves a TensorRT backend before it reads the model
        pytest.importorskip("tensorrt_rtx_bindings")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"garbage" * 100)
    proc = subprocess.run([sys.executable, "-m", "trtlab.cli", command, str(bad)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "bad.onnx" in proc.stderr
    debug = subprocess.run([sys.executable, "-m", "trtlab.cli", "--debug", command, str(bad)], capture_output=True,
                           text=True, timeout=120)
    assert debug.returncode == 2 and "Traceback" in debug.stderr


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["build"])
    assert e.value.code == 2


LAYER_INFO_OF_RESNET = "trt-layerinfo/resnet18-a100-fp32/engine.graph.json"


def test_fusion_against_another_models_layer_info_exits_1_and_says_it_once(capsys, fixtures):
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    assert main(["fusion", str(model), str(fixtures / LAYER_INFO_OF_RESNET)]) == 1
    out, err = capsys.readouterr()
    assert (out + err).count("belongs to another model") == 1
    assert out.startswith("WARNING: only 0 of")


def test_fusion_with_swapped_arguments_says_which_is_which(capsys, fixtures):
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    layer_info = fixtures / LAYER_INFO_OF_RESNET
    assert main(["fusion", str(layer_info), str(model)]) == 2
    err = capsys.readouterr().err
    assert "the arguments are swapped" in err and f"trtlab fusion {model} {layer_info}" in err
    assert main(["fusion", str(layer_info), str(layer_info)]) == 2
    assert "the first argument" in capsys.readouterr().err
    assert main(["fusion", str(model), str(model)]) == 2
    assert "the second argument" in capsys.readouterr().err


def test_show_prints_the_warnings_it_counts(capsys, fixtures):
    assert main(["show", str(fixtures / "onnx" / "custom_op_node.onnx")]) == 0
    out = capsys.readouterr().out
    assert "warnings 1" in out and "custom op domain(s) 'ai.onnx.contrib'" in out


def test_build_says_what_it_did_on_its_own(capsys, fixtures, tmp_path):
    pytest.importorskip("tensorrt_rtx_bindings")
    model = ROOT / "trtlab" / "data" / "inception_block.onnx"
    assert main(["build", str(model), "--fp16", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "note: the FP16 conversion inserted" in out and "Cast node(s)" in out
    assert main(["build", str(fixtures / "onnx" / "dynamic_identity.onnx"), "--no-cache", "-o", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "note: no shape profile was given for dynamic dimension(s) X[2] (height) = 1" in out
    assert "dynamic dimension" not in err  # said once
    assert "note: no shape profile was given" in (tmp_path / "summary.txt").read_text()
