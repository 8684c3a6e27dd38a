"""Export with a dynamic input height and width, and checks of the exported
files against PyTorch.

Two formats:

* ``torch.export`` programs (``.pt2``), traced with the input's height and
  width as symbolic ``Dim``s (:func:`export_program`);
* ONNX files (:func:`export_onnx`), by torch's dynamo-based exporter from
  that same program (the default) or by the TorchScript-based exporter.

Backbones follow :func:`mmscalablevit.models.bricks.shape_generic`: while a
tracer or exporter runs they take one code path for every size, so the
exported graph is valid at any height and width of at least
:data:`MIN_SIZE` pixels.

Why :func:`size_oblivious` surrounds ``torch.export``: torch reasons about
each size derived from H and W (``ceil(H / 32)``, window counts, ...) and
guards on whether it is 1 wherever an operator asks (memory-format choice,
view-or-copy, broadcasting). From a 32-pixel side on, the last stage of a
stride-32 backbone is one token high, so those guards contradict the
requested range: in torch 2.14 a single ``Conv2d(stride=32)`` followed by
``flatten`` already fails with min 32. torch's option
``backed_size_oblivious`` (which ``torch.onnx.export(dynamo=True)`` turns on
itself) makes those checks size-oblivious: a size is not assumed to be 1
unless that is known. The package's backbones need no other guard on the
sizes, so the program holds for the whole range (and ``torch.export``
would refuse to export otherwise).
"""
import contextlib
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

#: smallest input side an exported backbone accepts (its total stride)
MIN_SIZE = 32
#: largest input side of the dynamic range
MAX_SIZE = 4096
#: a difference is accepted up to this fraction of the output's largest
#: absolute value
TOLERANCE = 1e-4
#: the ONNX exporters: torch's dynamo-based one (default), TorchScript's
EXPORTERS = ('dynamo', 'torchscript')
#: opset of the TorchScript-based exporter (the dynamo one picks its own)
TORCHSCRIPT_OPSET = 17


class TensorForward(nn.Module):
    """The part of a model that maps a preprocessed image batch (B, C, H, W)
    to tensors, without data-dependent post-processing.

    * ``scope=None`` (a bare backbone): the backbone's outputs;
    * ``'mmdet'``: backbone and neck (``extract_feat``), the part before
      the heads' box decoding and NMS;
    * ``'mmseg'``: the segmentor's ``forward(mode='tensor')``, the decode
      head's logits (at the head's resolution, before resizing);
    * ``'mmpretrain'``: the classifier's ``forward(mode='tensor')``, the
      head's logits.

    The data preprocessor (normalisation, padding) is not part of it.
    """

    def __init__(self, model: nn.Module, scope: Optional[str] = None):
        super().__init__()
        if scope not in (None, 'mmdet', 'mmseg', 'mmpretrain'):
            raise ValueError(f'Unknown toolkit {scope!r}.')
        self.model = model
        self.scope = scope

    def forward(self, inputs: torch.Tensor):
        if self.scope is None:
            return self.model(inputs)
        if self.scope == 'mmdet':
            return tuple(self.model.extract_feat(inputs))
        return self.model(inputs, mode='tensor')


def flat_outputs(outputs) -> List[torch.Tensor]:
    """A tensor or a (nested) tuple/list of tensors, as a flat list."""
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    return [t for item in outputs for t in flat_outputs(item)]


def output_names(outputs) -> List[str]:
    """``output`` for one tensor, ``output0``, ``output1``, ... for more."""
    flat = flat_outputs(outputs)
    return ['output'] if len(flat) == 1 else \
        [f'output{i}' for i in range(len(flat))]


@contextlib.contextmanager
def size_oblivious():
    """torch's ``backed_size_oblivious`` option (see the module's notes)."""
    import torch.fx.experimental._config as fx_config
    with fx_config.patch(backed_size_oblivious=True):
        yield


def _integer_factors(scale_factor, dims: int):
    """The scale factors as ints if every one is a whole number >= 1."""
    factors = list(scale_factor) if isinstance(
        scale_factor, (list, tuple)) else [scale_factor] * dims
    if all(float(f).is_integer() and f >= 1 for f in factors):
        return [int(f) for f in factors]
    return None


@contextlib.contextmanager
def integer_upsampling_sizes():
    """Upsampling by a whole factor computes its output size as ``H * s``
    in integers while this context is active.

    torch's ``F.interpolate(scale_factor=s)`` and mmseg's ``Upsample``
    (Semantic FPN's head upsamples by 2) compute it as ``int(float(H) *
    s)``, and ``torch.export`` specialises a float turned into an int to the
    example's value. The output size and the kernels' coordinate scale
    (``1 / s`` = ``H / (H * s)``) are the same either way, so the results
    are identical.
    """
    import torch.nn.functional as F
    original = F.interpolate

    def interpolate(input,
                    size=None,
                    scale_factor=None,
                    mode='nearest',
                    align_corners=None,
                    recompute_scale_factor=None,
                    antialias=False):
        factors = None if size is not None or scale_factor is None else \
            _integer_factors(scale_factor, input.dim() - 2)
        if factors is not None:
            size = [input.shape[2 + i] * f for i, f in enumerate(factors)]
            scale_factor = None
        return original(input, size, scale_factor, mode, align_corners,
                        recompute_scale_factor, antialias)

    patches = [(F, 'interpolate', interpolate)]
    try:
        from mmseg.models.utils.wrappers import Upsample, resize
    except ImportError:
        pass
    else:
        upsample_forward = Upsample.forward

        def forward(self, x):
            factors = None if self.size or not self.scale_factor else \
                _integer_factors(self.scale_factor, 2)
            if factors is None:
                return upsample_forward(self, x)
            size = [t * f for t, f in zip(x.shape[-2:], factors)]
            return resize(x, size, None, self.mode, self.align_corners)

        patches.append((Upsample, 'forward', forward))
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, value in patches:
            setattr(owner, name, value)
        yield
    finally:
        for owner, name, value in saved:
            setattr(owner, name, value)


def check_range(min_size: int, max_size: int, *sides: int) -> None:
    """A ValueError unless ``min_size <= max_size`` and every side of the
    example lies in between (torch.export only asserts it)."""
    if not 1 <= min_size <= max_size:
        raise ValueError(
            f'The dynamic range of input sides [{min_size}, {max_size}] is '
            f'empty: the largest side (--max-size) must be at least '
            f'{max(min_size, 1)}.')
    outside = [side for side in sides if not min_size <= side <= max_size]
    if outside:
        raise ValueError(
            f'Example input sides {outside} are outside the dynamic range '
            f'[{min_size}, {max_size}]: export at a size inside it, or '
            'widen it (--max-size).')


def dynamic_hw(min_size: int = MIN_SIZE, max_size: int = MAX_SIZE) -> dict:
    """``dynamic_shapes`` of one input whose dims 2 and 3 vary."""
    from torch.export import Dim
    check_range(min_size, max_size)
    return {
        2: Dim('height', min=min_size, max=max_size),
        3: Dim('width', min=min_size, max=max_size)
    }


def export_program(module: nn.Module,
                   example: torch.Tensor,
                   dynamic: bool = True,
                   min_size: int = MIN_SIZE,
                   max_size: int = MAX_SIZE):
    """``torch.export`` of ``module`` (in eval mode) on ``example``; with
    ``dynamic`` the input's height and width are symbolic in
    [min_size, max_size]. Integer upsampling is traced with integer sizes
    (:func:`integer_upsampling_sizes`). Returns the ``ExportedProgram``."""
    module.eval()
    if dynamic:
        check_range(min_size, max_size, *example.shape[2:])
    shapes = (dynamic_hw(min_size, max_size), ) if dynamic else None
    with size_oblivious(), integer_upsampling_sizes(), torch.no_grad():
        return torch.export.export(
            module, (example, ), dynamic_shapes=shapes, strict=False)


def export_onnx(module: nn.Module,
                example: torch.Tensor,
                path: str,
                dynamic: bool = True,
                exporter: str = 'dynamo',
                opset: Optional[int] = None,
                min_size: int = MIN_SIZE,
                max_size: int = MAX_SIZE) -> List[str]:
    """Write ``module`` (in eval mode) as an ONNX file with the input
    ``input`` and the outputs named by :func:`output_names`; with
    ``dynamic`` the input's height and width (and the outputs' sizes that
    follow them) are free. Returns the output names.

    ``exporter='dynamo'`` converts the program of :func:`export_program`
    (torch's maintained exporter; the graph is the verified ``torch.export``
    one, its sizes are symbolic expressions of ``height`` and ``width``);
    ``'torchscript'`` traces the module with ``torch.jit`` (faster, opset
    :data:`TORCHSCRIPT_OPSET`; deprecated by torch). Both run under
    :func:`integer_upsampling_sizes` (a traced ``int(H * 2.0)`` is a
    constant as well).
    """
    if exporter not in EXPORTERS:
        raise ValueError(f'exporter must be one of {EXPORTERS}, got '
                         f'{exporter!r}.')
    module.eval()
    with torch.no_grad():
        outputs = module(example)
    names = output_names(outputs)
    if exporter == 'dynamo':
        program = export_program(module, example, dynamic, min_size, max_size)
        torch.onnx.export(
            program, (example, ),
            path,
            dynamo=True,
            input_names=['input'],
            output_names=names,
            opset_version=opset,
            external_data=False,
            verbose=False)
        return names
    axes = None
    if dynamic:
        axes = {'input': {2: 'height', 3: 'width'}}
        for name, out in zip(names, flat_outputs(outputs)):
            if out.dim() == 4:
                axes[name] = {2: f'{name}_height', 3: f'{name}_width'}
    with integer_upsampling_sizes(), torch.no_grad():
        torch.onnx.export(
            module, (example, ),
            path,
            dynamo=False,
            input_names=['input'],
            output_names=names,
            opset_version=opset or TORCHSCRIPT_OPSET,
            dynamic_axes=axes)
    return names


def onnx_runner(path: str):
    """A function running the ONNX file in onnxruntime (CPU): tensor ->
    list of tensors."""
    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    name = session.get_inputs()[0].name

    def run(x: torch.Tensor) -> List[torch.Tensor]:
        return [
            torch.from_numpy(out)
            for out in session.run(None, {name: x.numpy()})
        ]

    return run


def program_runner(program):
    """A function running an ``ExportedProgram``: tensor -> list of
    tensors."""
    module = program.module()

    def run(x: torch.Tensor) -> List[torch.Tensor]:
        with torch.no_grad():
            return flat_outputs(module(x))

    return run


def compare(reference: Sequence[torch.Tensor],
            outputs: Sequence[torch.Tensor],
            names: Sequence[str],
            tolerance: float = TOLERANCE) -> List[Dict]:
    """One row per output: name, shape, max abs difference, max abs value of
    the reference, their ratio and whether it is within ``tolerance``
    (shapes must agree)."""
    if len(outputs) != len(reference):
        raise ValueError(f'{len(outputs)} outputs, expected '
                         f'{len(reference)}.')
    rows = []
    for name, ref, out in zip(names, reference, outputs):
        ref = ref.detach().float()
        out = out.detach().float()
        if tuple(out.shape) != tuple(ref.shape):
            rows.append(
                dict(
                    name=name,
                    shape=tuple(ref.shape),
                    got_shape=tuple(out.shape),
                    max_diff=float('inf'),
                    max_ref=float(ref.abs().max()),
                    ratio=float('inf'),
                    ok=False))
            continue
        diff = float((out - ref).abs().max()) if ref.numel() else 0.
        scale = float(ref.abs().max()) if ref.numel() else 0.
        ratio = diff / scale if scale > 0 else diff
        rows.append(
            dict(
                name=name,
                shape=tuple(ref.shape),
                max_diff=diff,
                max_ref=scale,
                ratio=ratio,
                ok=bool(ratio <= tolerance)))
    return rows


def check(run,
          module: nn.Module,
          shapes: Sequence[Tuple[int, int]],
          batch: int = 1,
          channels: int = 3,
          tolerance: float = TOLERANCE,
          seed: int = 0) -> List[Dict]:
    """Run ``run`` (see :func:`onnx_runner`, :func:`program_runner`) and
    ``module`` in eval mode on the same random batch of each (H, W) of
    ``shapes``; one entry per shape: ``shape`` and the ``rows`` of
    :func:`compare`."""
    module.eval()
    generator = torch.Generator().manual_seed(seed)
    results = []
    for height, width in shapes:
        x = torch.randn(batch, channels, height, width, generator=generator)
        with torch.no_grad():
            reference = flat_outputs(module(x))
        names = output_names(reference)
        results.append(
            dict(
                shape=(height, width),
                rows=compare(reference, run(x), names, tolerance)))
    return results


def format_results(results: List[Dict]) -> str:
    """A table of :func:`check`'s results."""
    lines = [
        f'{"input":>11}  {"output":<9} {"shape":<22} {"max |diff|":>11} '
        f'{"max |ref|":>10} {"ratio":>9}'
    ]
    for result in results:
        height, width = result['shape']
        for row in result['rows']:
            shape = 'x'.join(str(s) for s in row['shape'])
            if 'got_shape' in row:
                shape += ' != ' + 'x'.join(str(s) for s in row['got_shape'])
            flag = '' if row['ok'] else '  EXCEEDS'
            lines.append(f'{height:>5}x{width:<5}  {row["name"]:<9} '
                         f'{shape:<22} {row["max_diff"]:>11.3e} '
                         f'{row["max_ref"]:>10.3e} {row["ratio"]:>9.2e}'
                         f'{flag}')
    return '\n'.join(lines)


def all_ok(results: List[Dict]) -> bool:
    return all(row['ok'] for result in results for row in result['rows'])
