"""Exports with a dynamic input height and width give PyTorch's outputs at
every size: torch.export programs, ONNX files of both exporters run in
onnxruntime, and the export tool from a config, end to end.

Every backbone of the package is listed once in ``BACKBONES``; all tests
run for each entry."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmscalablevit.deployment import (MAX_SIZE, MIN_SIZE, all_ok, check,
                                      export_onnx, export_program,
                                      format_results, onnx_runner,
                                      program_runner)
from mmscalablevit.models import ScalableViT, ScopeViT

from ..helpers import ROOT
from ..helpers.runs import DET, SEG
from ..scalable_vit.fixtures import TINY_ARCH
from ..scope_vit.fixtures import TINY_ARCH as SCOPE_TINY_ARCH

# name: a small model of the backbone (random weights). The S-width entry
# has the released channel counts, on which torch's convolutions choose
# memory formats differently (depth 1 keeps it fast).
BACKBONES = {
    'scalable_vit_tiny':
    lambda: ScalableViT(TINY_ARCH),
    'scalable_vit_s_widths':
    lambda: ScalableViT(dict(ScalableViT.arch_zoo['s'], depths=[1] * 4)),
    'scope_vit_tiny':
    lambda: ScopeViT(SCOPE_TINY_ARCH),
    'scope_vit_t':
    lambda: ScopeViT('t'),
}
# Exported at an example whose every derived size exceeds 1; checked at the
# smallest input, aligned and unaligned sizes, both orientations.
EXAMPLE = (512, 640)
SIZES = [(224, 224), (512, 512), (640, 480), (480, 640), (333, 517),
         (MIN_SIZE, MIN_SIZE)]
TOOL = osp.join(ROOT, 'tools', 'deployment', 'pytorch2onnx.py')


def assert_matches(results):
    assert all_ok(results), '\n' + format_results(results)


@pytest.fixture(scope='module', params=sorted(BACKBONES))
def backbone(request):
    torch.manual_seed(0)
    return BACKBONES[request.param]().eval()


@pytest.fixture(scope='module')
def program(backbone):
    return export_program(backbone, torch.randn(1, 3, *EXAMPLE))


def test_torch_export_is_valid_over_the_whole_range(backbone, program):
    """No guard narrowed the requested range of H and W."""
    ranges = {(vr.lower, vr.upper)
              for vr in program.range_constraints.values()}
    assert ranges == {(MIN_SIZE, MAX_SIZE)}
    assert_matches(check(program_runner(program), backbone, SIZES))


def test_saved_program_loads_and_matches(backbone, program, tmp_path):
    path = str(tmp_path / 'backbone.pt2')
    torch.export.save(program, path)
    loaded = torch.export.load(path)
    assert_matches(check(program_runner(loaded), backbone, SIZES[:2]))


@pytest.mark.parametrize('exporter', ['dynamo', 'torchscript'])
def test_onnx_matches_pytorch_at_every_size(backbone, exporter, tmp_path):
    path = str(tmp_path / 'backbone.onnx')
    names = export_onnx(
        backbone, torch.randn(1, 3, *EXAMPLE), path, exporter=exporter)
    assert names == [f'output{i}' for i in range(4)]
    assert_matches(check(onnx_runner(path), backbone, SIZES))


def test_jit_trace_without_grad_generalises(backbone):
    """A trace under no_grad records the shape-generic path, not the
    in-place chunked inference path or the example's window counts."""
    with torch.no_grad():
        traced = torch.jit.trace(
            backbone, torch.randn(1, 3, *EXAMPLE), check_trace=False)

    def run(x):
        with torch.no_grad():
            return list(traced(x))

    assert_matches(check(run, backbone, SIZES[:1] + SIZES[4:5]))


# --------------------------------------------------------------- the tool
def load_tool():
    spec = importlib.util.spec_from_file_location('pytorch2onnx', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


VERIFY = ['224', '224', '512', '512', '640', '480', '480', '640', '333', '517']


def test_tool_exports_a_segmentor_to_onnx(tmp_path):
    """The command line on the quick-start Semantic FPN: a dynamic ONNX
    file of the segmentor's logits, checked at five more sizes."""
    out = tmp_path / 'semfpn.onnx'
    args = [sys.executable, TOOL, SEG, '--shape', '256', '320']
    args += ['--dynamic-export', '--out', str(out), '--verify-shapes']
    proc = subprocess.run(
        args + VERIFY,
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, PYTHONWARNINGS='ignore'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert out.is_file()
    lines = proc.stdout.splitlines()
    logits = {
        '256x320': '1x4x64x80',
        '224x224': '1x4x56x56',
        '512x512': '1x4x128x128',
        '640x480': '1x4x160x120',
        '480x640': '1x4x120x160',
        '333x517': '1x4x84x130'
    }
    for size, shape in logits.items():
        row = next(line for line in lines if line.strip().startswith(size))
        assert shape in row and 'EXCEEDS' not in row
    assert 'OK: every output within 0.0001' in proc.stdout


@pytest.mark.parametrize(
    'options', [['--torch-export'], ['--exporter', 'torchscript']],
    ids=['torch_export', 'torchscript'])
def test_tool_exports_detector_features_with_a_checkpoint(
        options, tmp_path, capsys):
    """Backbone and FPN of the quick-start Mask R-CNN, with weights from a
    checkpoint: the file holds those weights."""
    from mmengine.config import Config

    from mmscalablevit.engine import build_model
    torch.manual_seed(1)
    model = build_model(Config.fromfile(DET))
    model.init_weights()
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.01 * torch.randn_like(param))
    checkpoint = tmp_path / 'det.pth'
    torch.save({'state_dict': model.state_dict()}, checkpoint)

    out = tmp_path / ('det.pt2' if '--torch-export' in options else 'det.onnx')
    tool = load_tool()
    code = tool.main([
        DET, '--checkpoint',
        str(checkpoint), '--shape', '224', '320', '--dynamic-export', '--out',
        str(out), '--verify-shapes', '333', '517', *options
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert printed.count('output4') == 2  # five FPN levels, two sizes

    x = torch.randn(1, 3, 200, 300)
    with torch.no_grad():
        expected = model.eval().extract_feat(x)
    if '--torch-export' in options:
        got = program_runner(torch.export.load(str(out)))(x)
    else:
        got = onnx_runner(str(out))(x)
    for a, b in zip(expected, got):
        torch.testing.assert_close(b, a, rtol=0, atol=1e-4 * a.abs().max())


def test_tool_fails_on_a_difference(tmp_path, capsys, monkeypatch):
    """A file that disagrees with PyTorch makes the tool exit with 1."""
    tool = load_tool()
    real = tool.onnx_runner

    def off_by_one_percent(path):
        run = real(path)
        return lambda x: [out * 1.01 for out in run(x)]

    monkeypatch.setattr(tool, 'onnx_runner', off_by_one_percent)
    code = tool.main([
        SEG, '--shape', '224', '224', '--exporter', 'torchscript', '--out',
        str(tmp_path / 'seg.onnx')
    ])
    printed = capsys.readouterr().out
    assert code == 1
    assert 'EXCEEDS' in printed and 'FAILED' in printed


def test_tool_refuses_verify_shapes_of_a_static_export(capsys):
    with pytest.raises(SystemExit):
        load_tool().main([SEG, '--verify-shapes', '224', '224'])
    assert 'needs --dynamic-export' in capsys.readouterr().err
