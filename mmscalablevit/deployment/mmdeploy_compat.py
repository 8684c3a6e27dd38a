"""mmdeploy 1.3.1 on this stack (torch 2.14, scoped config types): what
fails in it, fixed at runtime (nothing in site-packages is edited).

:func:`patched` is entered around every use of mmdeploy by the package; it
applies each patch below and undoes, when it exits, the ones that change
torch's or mmdeploy's own functions.
"""
import contextlib
import functools

import torch

#: the mmdeploy release these patches are written for
MMDEPLOY_VERSION = '1.3.1'


def _cast_long(g, input, non_blocking):
    """``Cast`` to int64, as torch < 2.1's ``symbolic_opset9._cast_Long``."""
    return g.op('Cast', input, to_i=torch._C._onnx.TensorProtoDataType.INT64)


def restore_cast_long() -> None:
    """Reason: mmdeploy's RoIAlign symbolic imports ``_cast_Long`` from
    ``torch.onnx.symbolic_opset9``, a private helper newer torch dropped."""
    import torch.onnx.symbolic_opset9 as opset9
    if not hasattr(opset9, '_cast_Long'):
        opset9._cast_Long = _cast_long


def _attention(query,
               key,
               value,
               attn_mask=None,
               dropout_p=0.,
               is_causal=False,
               scale=None,
               **kwargs):
    """``F.scaled_dot_product_attention`` in opset-11 ops: ``scale``
    multiplies ``q @ k^T`` (default ``1 / sqrt(D)``); a boolean mask keeps
    the True keys, a float mask is added."""
    scale = query.size(-1)**-0.5 if scale is None else scale
    attn = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        keep = torch.ones(
            query.size(-2), key.size(-2), dtype=torch.bool).tril()
        attn = attn.masked_fill(~keep, float('-inf'))
    if attn_mask is not None:
        attn = attn.masked_fill(~attn_mask, float('-inf')) if \
            attn_mask.dtype == torch.bool else attn + attn_mask
    return attn.softmax(dim=-1) @ value


_REGISTERED = []


def register_attention_rewrite() -> None:
    """Reason: mmdeploy's rewrite of ``F.scaled_dot_product_attention``
    divides by ``scale``, which torch >= 2.1 passes as the multiplier (and
    it inverts boolean masks wrongly); this one overrides it for
    onnxruntime."""
    if _REGISTERED:
        return
    from mmdeploy.core import FUNCTION_REWRITER
    FUNCTION_REWRITER.register_rewriter(
        func_name='torch.nn.functional.scaled_dot_product_attention',
        backend='onnxruntime')(
            _attention)
    _REGISTERED.append(True)


@contextlib.contextmanager
def torchscript_exporter():
    """Reason: ``torch.onnx.export`` defaults to the dynamo exporter since
    torch 2.9; mmdeploy passes no ``dynamo`` and its rewriters hook the
    TorchScript exporter (``dynamo=False``)."""
    original = torch.onnx.export
    torch.onnx.export = functools.partial(original, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = original


@contextlib.contextmanager
def scoped_pose_datasets():
    """Reason: mmdeploy looks a pose dataset's metainfo up by the bare type
    name and crashes (``None``) on a scoped one (``mmscalablevit.X``); ask
    mmpose's registry, else give none (a test pipeline needs none)."""
    try:
        from mmdeploy.codebase.mmpose.deploy import pose_detection
    except ImportError:  # no mmpose
        yield
        return
    original = pose_detection._get_dataset_metainfo

    def metainfo(model_cfg):
        meta = original(model_cfg)
        if meta is None:
            from mmpose.apis.inference import dataset_meta_from_config
            try:
                meta = dataset_meta_from_config(model_cfg, 'test')
            except Exception:  # a type no registry knows
                meta = None
        return meta or {}

    pose_detection._get_dataset_metainfo = metainfo
    try:
        yield
    finally:
        pose_detection._get_dataset_metainfo = original


def check_version() -> None:
    """mmdeploy must be installed (and be the release patched here)."""
    try:
        import mmdeploy
    except ImportError:
        raise ImportError(
            'Whole-model export needs mmdeploy: pip install --no-deps '
            f'mmdeploy=={MMDEPLOY_VERSION} aenum (or bash '
            'tools/install.sh).') from None
    if mmdeploy.__version__ != MMDEPLOY_VERSION:
        import warnings
        warnings.warn(f'mmdeploy {mmdeploy.__version__} is installed; the '
                      f'package is tested with {MMDEPLOY_VERSION}.')


@contextlib.contextmanager
def patched():
    """Every patch above, for the duration of an mmdeploy export."""
    check_version()
    restore_cast_long()
    register_attention_rewrite()
    with torchscript_exporter(), scoped_pose_datasets():
        yield
