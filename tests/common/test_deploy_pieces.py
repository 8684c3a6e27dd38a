"""The pieces of whole-model deployment, without exporting a model: the
agreement measures, the rewrites that make mmdeploy's graphs compute what
PyTorch computes (float64), the patches for torch 2.14, mmdeploy's
onnxruntime op library under this onnxruntime, and the dynamic range of
pytorch2onnx.py."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmscalablevit.deployment import agreement, check_range
from mmscalablevit.deployment.exact_rewrites import adaptive_avg_pool2d
from mmscalablevit.deployment.mmdeploy_compat import (_attention, patched,
                                                      restore_cast_long)


# ------------------------------------------------------- agreement measures
def detections(boxes, scores, labels):
    return dict(
        bboxes=np.asarray(boxes, np.float32),
        scores=np.asarray(scores, np.float32),
        labels=np.asarray(labels))


REF = detections([[0, 0, 10, 10], [20, 20, 40, 50], [5, 5, 15, 30]],
                 [0.9, 0.6, 0.0505], [0, 1, 2])


def test_detections_agree_up_to_rounding():
    got = detections(REF['bboxes'] + 1e-4, REF['scores'] + 5e-4, REF['labels'])
    result = agreement.match_detections(REF, got, score_thr=0.05)
    assert result['ok'] and result['matched'] == 3
    assert result['max_score_diff'] == pytest.approx(5e-4, abs=1e-6)
    assert 0.99 < result['min_box_iou'] < 1


@pytest.mark.parametrize(
    'change, why',
    [(dict(scores=[0.9, 0.6 + 2e-3, 0.0505]), 'score beyond 1e-3'),
     (dict(labels=[0, 2, 2]), 'another label'),
     (dict(boxes=[[0, 0, 10, 10], [20, 20, 40, 45], [5, 5, 15, 30]]),
      'a box moved by 5 px')])
def test_detections_disagree(change, why):
    got = dict(REF)
    for key, value in change.items():
        got['bboxes' if key == 'boxes' else key] = np.asarray(
            value, REF['bboxes' if key == 'boxes' else key].dtype)
    assert not agreement.match_detections(REF, got, score_thr=0.05)['ok'], \
        why


def test_a_missing_detection_is_accepted_only_at_the_threshold():
    """The third detection (score 0.0505) may fall under 0.05 on the other
    side; the second (0.6) may not be missing."""
    at_edge = detections(REF['bboxes'][:2], REF['scores'][:2],
                         REF['labels'][:2])
    assert agreement.match_detections(REF, at_edge, score_thr=0.05)['ok']
    keep = [0, 2]
    confident = detections(REF['bboxes'][keep], REF['scores'][keep],
                           REF['labels'][keep])
    result = agreement.match_detections(REF, confident, score_thr=0.05)
    assert not result['ok']
    assert result['unmatched_pytorch_scores'] == [pytest.approx(0.6)]


def test_masks_of_matched_detections():
    masks = np.zeros((3, 60, 60), bool)
    masks[0, :10, :10] = masks[1, 20:50, 20:40] = masks[2, 5:30, 5:15] = True
    ref = dict(REF, masks=masks)
    flipped = masks.copy()
    flipped[1, 20, 20:40] = False  # one row of 30: IoU 29/30
    result = agreement.match_detections(ref, dict(REF, masks=flipped), 0.05)
    assert result['min_mask_iou'] == pytest.approx(29 / 30)
    assert not result['ok']  # mean (2 + 29/30) / 3 < 0.99
    half = masks.copy()
    half[2, 5:30, 10:15] = False
    assert agreement.match_detections(ref, dict(REF, masks=half),
                                      0.05)['min_mask_iou'] == 0.5


def test_pixel_agreement():
    ref = np.zeros((100, 100), np.int64)
    got = ref.copy()
    got[0, :10] = 1
    result = agreement.pixel_agreement(ref, got[None])
    assert result['differing_pixels'] == 10 and result['ok']
    got[1, :1] = 1
    assert not agreement.pixel_agreement(ref, got)['ok']  # 11 of 10000
    assert not agreement.pixel_agreement(ref, got[:50])['ok']


def test_top5_agreement_allows_ties_at_the_cut():
    ref = np.array([0.5, 0.2, 0.1, 0.08, 0.05, 0.0498, 0.0202])
    tied = ref.copy()
    tied[4], tied[5] = 0.0499, 0.0501  # 5th and 6th swap within 1e-3
    result = agreement.topk_agreement(ref, tied)
    assert result['onnx_top'] == [0, 1, 2, 3, 5] and result['ok']
    other = ref.copy()
    other[6] = 0.09
    assert not agreement.topk_agreement(ref, other)['ok']


def test_keypoint_agreement():
    ref = np.random.default_rng(0).uniform(0, 100, (1, 17, 2))
    scores = np.full((1, 17), 0.8)
    assert agreement.keypoint_agreement(ref, scores, ref + 0.3, scores)['ok']
    moved = ref.copy()
    moved[0, 3] += 4.  # one heatmap pixel at stride 4
    result = agreement.keypoint_agreement(ref, scores, moved, scores)
    assert result['max_distance'] == pytest.approx(4 * 2**0.5)
    assert not result['ok']


# ------------------------------------------------------------ the rewrites
@pytest.mark.parametrize('size', [(16, 22), (5, 7), (12, 12), (1, 3)])
@pytest.mark.parametrize('out', [1, 2, 3, 6, (4, None)])
def test_adaptive_pooling_is_exact(size, out):
    x = torch.randn(2, 3, *size, dtype=torch.float64)
    torch.testing.assert_close(
        adaptive_avg_pool2d(x, out),
        F.adaptive_avg_pool2d(x, out),
        rtol=0,
        atol=1e-14)


@pytest.mark.parametrize('mask', [None, 'float', 'bool', 'causal'])
@pytest.mark.parametrize('scale', [None, 0.37])
def test_attention_rewrite_scales_and_masks_as_torch(mask, scale):
    q, k, v = (torch.randn(2, 3, 5, 8, dtype=torch.float64) for _ in 'qkv')
    kwargs = dict(scale=scale)
    if mask == 'float':
        kwargs['attn_mask'] = torch.randn(5, 5, dtype=torch.float64)
    elif mask == 'bool':
        kwargs['attn_mask'] = torch.rand(5, 5) > 0.3
        kwargs['attn_mask'][:, 0] = True  # every query keeps a key
    elif mask == 'causal':
        kwargs['is_causal'] = True
    torch.testing.assert_close(
        _attention(q, k, v, **kwargs),
        F.scaled_dot_product_attention(q, k, v, **kwargs),
        rtol=0,
        atol=1e-12)


# ---------------------------------------------------- torch 2.14 patches
def test_patches_are_undone_and_cast_long_is_int64():
    import torch.onnx.symbolic_opset9 as opset9
    export = torch.onnx.export
    with patched():
        assert torch.onnx.export is not export
        assert torch.onnx.export.keywords == dict(dynamo=False)
    assert torch.onnx.export is export
    restore_cast_long()

    class Graph:

        def op(self, name, *inputs, **attrs):
            return name, inputs, attrs

    name, _, attrs = opset9._cast_Long(Graph(), 'x', False)
    assert name == 'Cast'
    assert attrs['to_i'] == torch._C._onnx.TensorProtoDataType.INT64


def test_mmdeploy_ops_library_runs_in_this_onnxruntime():
    """mmdeploy's wheel ships libmmdeploy_onnxruntime_ops.so built against
    onnxruntime 1.15; it registers in the installed onnxruntime and its
    grid_sampler computes torch's grid_sample."""
    import onnxruntime as ort
    from mmdeploy.backend.onnxruntime.init_plugins import get_ops_path
    from onnx import TensorProto, helper
    node = helper.make_node(
        'grid_sampler', ['x', 'grid'], ['y'],
        domain='mmdeploy',
        interpolation_mode=0,
        padding_mode=0,
        align_corners=0)
    graph = helper.make_graph([node], 'g', [
        helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 2, 5, 6]),
        helper.make_tensor_value_info('grid', TensorProto.FLOAT, [1, 3, 4, 2])
    ], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)])
    model = helper.make_model(
        graph,
        opset_imports=[
            helper.make_opsetid('', 11),
            helper.make_opsetid('mmdeploy', 1)
        ])
    options = ort.SessionOptions()
    options.register_custom_ops_library(get_ops_path())
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=['CPUExecutionProvider'])
    x, grid = torch.randn(1, 2, 5, 6), torch.rand(1, 3, 4, 2) * 2 - 1
    y = session.run(None, dict(x=x.numpy(), grid=grid.numpy()))[0]
    torch.testing.assert_close(
        torch.from_numpy(y),
        F.grid_sample(x, grid, align_corners=False),
        rtol=0,
        atol=1e-5)


# ------------------------------------------------ pytorch2onnx's range
@pytest.mark.parametrize('low, high, sides, message', [
    (32, 0, (), r'\[32, 0\] is empty'),
    (32, 4096, (512, 5000), r'\[5000\] are outside'),
])
def test_dynamic_range_is_checked(low, high, sides, message):
    with pytest.raises(ValueError, match=message):
        check_range(low, high, *sides)
    check_range(32, 4096, 32, 4096)


def test_pytorch2onnx_names_an_empty_range():
    import importlib.util
    import os.path as osp

    from ..helpers import ROOT
    from ..helpers.runs import SEG
    path = osp.join(ROOT, 'tools', 'deployment', 'pytorch2onnx.py')
    spec = importlib.util.spec_from_file_location('pytorch2onnx', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit) as error:
        tool.main([SEG, '--dynamic-export', '--max-size', '0'])
    assert 'must be at least 32' in str(error.value)
