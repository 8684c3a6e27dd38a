"""Whole models to ONNX through mmdeploy, run in onnxruntime and checked
against PyTorch's ``predict`` on the same input tensor.

What each task's file computes (mmdeploy's conventions), from ``input``, the
preprocessed image batch (1, 3, H, W):

* ``detection`` (RetinaNet, ...): ``dets`` (1, N, 5) boxes x1, y1, x2, y2
  and score, ``labels`` (1, N); box decoding and NMS are in the graph;
* ``instance-seg`` (Mask R-CNN): also ``masks`` (1, N, 28, 28), each
  detection's mask probabilities inside its box;
* ``segmentation``: ``output`` (1, 1, H, W), the class map;
* ``classification``: ``output`` (1, num_classes), the class scores;
* ``pose-detection`` (top-down, heatmap heads): ``output`` (1, K, h, w),
  the heatmaps.

The check compares in the input tensor's pixels: PyTorch's predictions on
that tensor as the whole image (no rescaling to an original image), and the
file's outputs completed as the toolkits complete their own (masks pasted
into the image and thresholded as mmdet does, heatmaps decoded by the
head's codec), measured by :mod:`.agreement`.
"""
import contextlib
import copy
import logging
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

from . import agreement, exact_rewrites
from .export import integer_upsampling_sizes
from .mmdeploy_compat import patched

#: the toolkits (default_scope) whose models are exported (mmdeploy codebases)
CODEBASES = ('mmdet', 'mmseg', 'mmpretrain', 'mmpose')


class DeployError(ValueError):
    """A model, checkpoint or input the export cannot take (one line: the
    problem and the fix)."""


def task_of(cfg) -> str:
    """The deploy task of a model config (the first word of its deploy
    config's name)."""
    scope = cfg.get('default_scope')
    model = cfg.model
    if scope == 'mmdet':
        roi_head = model.get('roi_head') or {}
        return 'instance-seg' if roi_head.get('mask_head') else 'detection'
    if scope == 'mmseg':
        mode = (model.get('test_cfg') or {}).get('mode', 'whole')
        if mode != 'whole':
            raise DeployError(
                f"mmdeploy exports whole-image segmentation only; this "
                f"config's model.test_cfg.mode is {mode!r}: pass --cfg-options"
                " model.test_cfg.mode=whole.")
        return 'segmentation'
    if scope == 'mmpretrain':
        return 'classification'
    if scope == 'mmpose':
        head = model.get('head') or {}
        if model.get('type') != 'TopdownPoseEstimator' or \
                'decoder' not in head:
            raise DeployError(
                'mmpose models are exported as top-down estimators whose '
                f'head decodes with a codec; got {model.get("type")!r} with '
                f'head {head.get("type")!r}.')
        return 'pose-detection'
    raise DeployError(
        f'default_scope {scope!r} has no mmdeploy export here: models of '
        f"{', '.join(CODEBASES)} are exported (inherit one of their "
        'configs).')


def deploy_config_path(task: str, dynamic: bool) -> str:
    """The shipped deploy config: ``configs/deploy/<task>_onnxruntime_
    {static,dynamic}.py``."""
    from mmscalablevit.utils.toolkit_glue import config_root
    kind = 'dynamic' if dynamic else 'static'
    return osp.join(config_root(), 'deploy', f'{task}_onnxruntime_{kind}.py')


@contextlib.contextmanager
def quiet():
    """mmengine's current logger and mmdeploy's at ERROR: model init,
    registry look-ups across scopes and mmdeploy's steps log every item."""
    from mmengine.logging import MMLogger
    loggers = [MMLogger.get_current_instance()]
    if 'mmdeploy' in MMLogger._instance_dict:
        loggers.append(MMLogger.get_instance('mmdeploy'))
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def build_model(cfg, checkpoint: Optional[str] = None) -> torch.nn.Module:
    """The config's model in eval mode: initial weights, then every key of
    ``checkpoint`` (read with ``weights_only=True``), which must fit."""
    from mmengine.model import revert_sync_batchnorm

    from mmscalablevit.checkpoint import (CheckpointMismatchError,
                                          CheckpointReadError, read_checkpoint,
                                          unwrap_state_dict)
    from mmscalablevit.checkpoint.fitting import summarise
    from mmscalablevit.engine import build_model as build
    if checkpoint and not osp.isfile(checkpoint):
        raise DeployError(f'Checkpoint {checkpoint!r} does not exist.')
    with quiet():
        if cfg.get('default_scope') == 'mmpose':  # no training tool's
            import mmpose.registry
            from mmengine.registry import init_default_scope
            init_default_scope('mmpose')
            model_cfg = copy.deepcopy(cfg.model)
            if model_cfg.get('backbone') is not None:
                model_cfg.backbone.init_cfg = None
            model = mmpose.registry.MODELS.build(model_cfg)
        else:
            model = build(cfg)
        model.init_weights()
    if checkpoint:
        try:
            state_dict = unwrap_state_dict(
                read_checkpoint(checkpoint), f'Checkpoint {checkpoint!r}')
        except (CheckpointMismatchError, CheckpointReadError) as error:
            raise DeployError(str(error).splitlines()[0]) from None
        expected = model.state_dict()
        problems = [
            f'{what} {summarise(keys, 2)}'
            for what, keys in (('missing keys',
                                set(expected) - set(state_dict)),
                               ('unexpected keys',
                                set(state_dict) - set(expected)),
                               ('keys of another shape', {
                                   k
                                   for k in set(expected) & set(state_dict)
                                   if expected[k].shape != state_dict[k].shape
                               })) if keys
        ]
        if problems:
            raise DeployError(
                f'Checkpoint {checkpoint!r} does not fit the model of this '
                f'config ({type(model).__name__}): {"; ".join(problems)}. '
                "Pass the checkpoint of this config's model.")
        model.load_state_dict(state_dict)
    return revert_sync_batchnorm(model).eval()


def minimum_size(model) -> int:
    """The smallest input side the model's backbone takes."""
    backbone = getattr(model, 'backbone', None)
    return int(getattr(backbone, 'min_input_size', 1))


def check_size(model, height: int, width: int) -> None:
    size = minimum_size(model)
    if height < size or width < size:
        name = type(model.backbone).__name__
        raise DeployError(
            f'Input {height}x{width} is under {name}\'s minimum of '
            f'{size}x{size} pixels: use a larger --shape.')


def task_processor(cfg, deploy_cfg):
    """mmdeploy's task processor of the config (CPU)."""
    from mmdeploy.apis import build_task_processor
    from mmdeploy.utils import get_root_logger
    get_root_logger()  # mmdeploy's logger exists, so that quiet() finds it
    with quiet():
        return build_task_processor(cfg, deploy_cfg, 'cpu')


def make_input(processor, model, image) -> Tuple[list, torch.Tensor]:
    """The image through the config's test pipeline and the model's data
    preprocessor, as mmdeploy prepares it: (data samples, input tensor
    (1, 3, H, W))."""
    with patched(), quiet():
        data, inputs = processor.create_input(
            image, None, data_preprocessor=model.data_preprocessor)
    if isinstance(inputs, (list, tuple)):
        inputs = inputs[0]
    return data['data_samples'], inputs


def export(model, deploy_cfg, inputs: torch.Tensor, data_samples,
           path: str) -> None:
    """Write ``model`` as ONNX at ``path`` with mmdeploy's rewrites
    (:func:`mmdeploy.apis.onnx.export`, as its ``torch2onnx`` calls it),
    traced on ``inputs``."""
    from mmdeploy.apis.onnx import export as mmdeploy_export
    from mmdeploy.utils import get_dynamic_axes
    onnx_cfg = deploy_cfg.onnx_config
    names = onnx_cfg['input_names'] + onnx_cfg['output_names']
    # integer_upsampling_sizes: a traced int(H * 2.0) is a constant, so
    # whole-factor upsampling (Semantic FPN's head) traces its size as H * 2
    with quiet(), patched(), integer_upsampling_sizes():
        exact_rewrites.register()
        mmdeploy_export(
            model,
            inputs,
            osp.splitext(path)[0],
            backend='onnxruntime',
            input_metas=dict(
                data_samples=copy.deepcopy(data_samples), mode='predict'),
            context_info=dict(deploy_cfg=deploy_cfg),
            input_names=onnx_cfg['input_names'],
            output_names=onnx_cfg['output_names'],
            opset_version=onnx_cfg.get('opset_version', 11),
            dynamic_axes=get_dynamic_axes(deploy_cfg, names),
            keep_initializers_as_inputs=onnx_cfg.get(
                'keep_initializers_as_inputs', False),
            optimize=onnx_cfg.get('optimize', False))


def custom_ops(path: str) -> List[str]:
    """``domain::op`` of every node outside the standard ONNX domains."""
    import onnx
    graph = onnx.load(path, load_external_data=False).graph
    return sorted({
        f'{node.domain}::{node.op_type}'
        for node in graph.node if node.domain not in ('', 'ai.onnx')
    })


def onnx_session(path: str, threads: Optional[int] = None):
    """An onnxruntime CPU session of the file (``threads``: its intra-op
    threads; default onnxruntime's); mmdeploy's op library is registered
    only if the graph has a custom op. Returns (session, the library's path
    or None)."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    library = None
    if custom_ops(path):
        from mmdeploy.backend.onnxruntime.init_plugins import get_ops_path
        library = get_ops_path()
        options.register_custom_ops_library(library)
    session = ort.InferenceSession(
        path, options, providers=['CPUExecutionProvider'])
    return session, library


def run_onnx(session, inputs: torch.Tensor) -> Dict[str, np.ndarray]:
    names = [out.name for out in session.get_outputs()]
    outputs = session.run(names, {'input': inputs.numpy()})
    return dict(zip(names, outputs))


# ---------------------------------------------------------------- per task
def _det_samples(inputs: torch.Tensor):
    """A data sample that makes the input tensor the whole image."""
    from mmdet.structures import DetDataSample
    shape = tuple(inputs.shape[2:])
    return [
        DetDataSample(
            metainfo=dict(
                img_shape=shape,
                ori_shape=shape,
                pad_shape=shape,
                batch_input_shape=shape,
                scale_factor=(1., 1.)))
    ]


def _det_test_cfg(model):
    cfg = model.test_cfg
    return cfg.rcnn if 'rcnn' in cfg else cfg


def pytorch_prediction(model, task: str, inputs: torch.Tensor,
                       data_samples) -> dict:
    """PyTorch's ``predict`` on ``inputs`` as the whole image."""
    with torch.no_grad():
        if task in ('detection', 'instance-seg'):
            result = model.predict(
                inputs, _det_samples(inputs), rescale=False)[0]
            pred = result.pred_instances
            out = dict(
                bboxes=pred.bboxes.numpy(),
                scores=pred.scores.numpy(),
                labels=pred.labels.numpy())
            if task == 'instance-seg':
                out['masks'] = pred.masks.numpy().astype(bool)
            return out
        if task == 'segmentation':
            return dict(
                class_map=model.predict(inputs)[0].pred_sem_seg.data.numpy())
        if task == 'classification':
            return dict(scores=model.predict(inputs)[0].pred_score.numpy())
        # no flip test: the graph is one forward (as mmdeploy's pose models)
        test_cfg = model.test_cfg
        model.test_cfg = dict(test_cfg, flip_test=False)
        try:
            result = model.predict(inputs, copy.deepcopy(data_samples))[0]
        finally:
            model.test_cfg = test_cfg
        pred = result.pred_instances
        return dict(
            keypoints=np.asarray(pred.keypoints),
            keypoint_scores=np.asarray(pred.keypoint_scores))


def onnx_prediction(model, task: str, outputs: Dict[str, np.ndarray],
                    inputs: torch.Tensor, data_samples) -> dict:
    """The file's outputs completed as the toolkit completes PyTorch's."""
    if task in ('detection', 'instance-seg'):
        dets, labels = outputs['dets'][0], outputs['labels'][0]
        keep = dets[:, 4] > 0  # mmdeploy pads with empty rows
        out = dict(
            bboxes=dets[keep, :4], scores=dets[keep, 4], labels=labels[keep])
        if task == 'instance-seg':
            from mmdet.models.roi_heads.mask_heads.fcn_mask_head import \
                _do_paste_mask
            height, width = inputs.shape[2:]
            masks = torch.from_numpy(outputs['masks'][0][keep])
            boxes = torch.from_numpy(out['bboxes'])
            if len(boxes):
                pasted, _ = _do_paste_mask(
                    masks[:, None], boxes, height, width, skip_empty=False)
            else:
                pasted = torch.zeros(0, height, width)
            threshold = _det_test_cfg(model).mask_thr_binary
            out['masks'] = (pasted >= threshold).numpy()
        return out
    if task == 'segmentation':
        return dict(class_map=outputs['output'][0])
    if task == 'classification':
        return dict(scores=outputs['output'][0])
    heatmaps = torch.from_numpy(outputs['output'])
    preds = model.head.decode(heatmaps)
    result = model.add_pred_to_datasample(preds, None,
                                          copy.deepcopy(data_samples))[0]
    pred = result.pred_instances
    return dict(
        keypoints=np.asarray(pred.keypoints),
        keypoint_scores=np.asarray(pred.keypoint_scores))


def compare(model, task: str, ref: dict, got: dict) -> dict:
    """The figures of :mod:`.agreement` for the task."""
    if task in ('detection', 'instance-seg'):
        cfg = _det_test_cfg(model)
        return agreement.match_detections(ref, got, cfg.get('score_thr', 0.05),
                                          cfg.get('max_per_img'))
    if task == 'segmentation':
        return agreement.pixel_agreement(ref['class_map'], got['class_map'])
    if task == 'classification':
        return agreement.topk_agreement(ref['scores'], got['scores'])
    return agreement.keypoint_agreement(ref['keypoints'],
                                        ref['keypoint_scores'],
                                        got['keypoints'],
                                        got['keypoint_scores'])


def resized_input(inputs: torch.Tensor, data_samples, height: int,
                  width: int) -> torch.Tensor:
    """The input tensor without its padding (the first sample's
    ``img_shape``), resized to ``height`` x ``width`` (bilinear)."""
    import torch.nn.functional as F
    h, w = inputs.shape[2:]
    meta = data_samples[0].metainfo if data_samples else {}
    if 'img_shape' in meta and 'pad_shape' in meta:
        h, w = (min(int(s), t) for s, t in zip(meta['img_shape'][:2], (h, w)))
    return F.interpolate(
        inputs[:, :, :h, :w], (height, width),
        mode='bilinear',
        align_corners=False)


def verify(model, task: str, session, inputs: torch.Tensor,
           data_samples) -> dict:
    """PyTorch against the ONNX file on one input tensor."""
    outputs = run_onnx(session, inputs)
    ref = pytorch_prediction(model, task, inputs, data_samples)
    got = onnx_prediction(model, task, outputs, inputs, data_samples)
    result = dict(
        input_shape=list(inputs.shape),
        outputs={
            name: list(out.shape)
            for name, out in outputs.items()
        })
    result.update(compare(model, task, ref, got))
    return result


# ------------------------------------------------------------- one command
#: input size of the second check of a dynamic file (H, W): not a multiple
#: of any stride
UNALIGNED = (375, 500)


def tolerances() -> dict:
    return dict(
        box_iou=agreement.BOX_IOU,
        score=agreement.SCORE_TOL,
        mean_mask_iou=agreement.MEAN_MASK_IOU,
        min_mask_iou=agreement.MIN_MASK_IOU,
        pixel_agreement=agreement.PIXEL_AGREEMENT,
        keypoint_distance_px=agreement.KEYPOINT_TOL)


def deploy(config: str,
           checkpoint: Optional[str],
           work_dir: str,
           dynamic: bool = False,
           image=None,
           shape: Optional[Tuple[int, int]] = None,
           deploy_cfg: Optional[str] = None,
           cfg_options: Optional[dict] = None) -> dict:
    """Export the config's model to ``work_dir/end2end.onnx`` and check it
    in onnxruntime against PyTorch on ``image`` (a path or a BGR array;
    default: a generated shapes image of :data:`UNALIGNED`), preprocessed
    by the config's test pipeline; a dynamic file also at ``shape`` (H, W;
    default :data:`UNALIGNED`). Returns the report (``ok``: every check
    within the tolerances). Raises :class:`DeployError` for a model,
    checkpoint or size that cannot be exported."""
    import os

    import mmdeploy
    import onnxruntime
    from mmdeploy.utils import load_config
    from mmengine.config import Config

    from mmscalablevit.datasets.synthetic import make_shapes_image
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    task = task_of(cfg)
    deploy_cfg = deploy_cfg or deploy_config_path(task, dynamic)
    dcfg = load_config(deploy_cfg)[0]
    model = build_model(cfg, checkpoint)
    if shape is not None:
        check_size(model, *shape)
    if image is None:
        image, image_name = make_shapes_image(*UNALIGNED), \
            'generated shapes image {}x{}'.format(*UNALIGNED)
    else:
        image_name = image
    processor = task_processor(cfg, dcfg)
    data_samples, inputs = make_input(processor, model, image)
    check_size(model, *inputs.shape[2:])
    os.makedirs(work_dir, exist_ok=True)
    path = osp.join(work_dir, dcfg.onnx_config.get('save_file',
                                                   'end2end.onnx'))
    try:
        export(model, dcfg, inputs, data_samples, path)
    except Exception as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() \
            else ''
        raise DeployError(
            f'mmdeploy could not export {cfg.model.type} ({config}): '
            f'{type(error).__name__}: {first}') from error
    session, library = onnx_session(path)
    checks = [
        dict(
            name='test size',
            **verify(model, task, session, inputs, data_samples))
    ]
    if dynamic:
        height, width = shape or UNALIGNED
        resized = resized_input(inputs, data_samples, height, width)
        checks.append(
            dict(
                name=f'{height}x{width}',
                **verify(model, task, session, resized, data_samples)))
    return dict(
        config=config,
        checkpoint=checkpoint,
        task=task,
        deploy_config=deploy_cfg,
        dynamic=dynamic,
        onnx=path,
        opset=dcfg.onnx_config.opset_version,
        outputs=list(dcfg.onnx_config.output_names),
        custom_ops=custom_ops(path),
        ops_library=library,
        image=image_name if isinstance(image_name, str) else 'array',
        versions=dict(
            mmdeploy=mmdeploy.__version__,
            onnxruntime=onnxruntime.__version__,
            torch=torch.__version__),
        tolerances=tolerances(),
        checks=checks,
        ok=all(check['ok'] for check in checks))


def _figures(check: dict) -> str:
    """The measured figures of one check, in words."""
    if 'matched' in check:
        text = (f"{check['matched']} of {check['num_pytorch']} PyTorch / "
                f"{check['num_onnx']} ONNX detections matched")
        if check['matched']:
            text += (f", min box IoU {check['min_box_iou']:.5f}, max score "
                     f"diff {check['max_score_diff']:.2e}")
        if check.get('mean_mask_iou') is not None:
            text += (f", mask IoU mean {check['mean_mask_iou']:.4f} min "
                     f"{check['min_mask_iou']:.4f}")
        lost = check['unmatched_pytorch_scores'] + \
            check['unmatched_onnx_scores']
        if lost:
            text += f', unmatched scores {sorted(lost, reverse=True)[:5]}'
        return text
    if 'pixel_agreement' in check:
        return (f"{100 * check['pixel_agreement']:.3f}% of pixels agree "
                f"({check['differing_pixels']} differ)")
    if 'onnx_shape' in check:
        return f"class map {check['onnx_shape']} != {check['shape']}"
    if 'pytorch_top' in check:
        return (f"top-5 PyTorch {check['pytorch_top']} ONNX "
                f"{check['onnx_top']}, max score diff "
                f"{check['max_score_diff']:.2e}")
    return (f"{check['num_keypoints']} keypoints, max distance "
            f"{check['max_distance']:.4f} px (mean "
            f"{check['mean_distance']:.4f}), max score diff "
            f"{check['max_score_diff']:.2e}")


def format_report(report: dict) -> str:
    """The report in a few readable lines."""
    weights = report['checkpoint'] or 'initial weights'
    lines = [
        f"{report['onnx']}: {report['task']}, "
        f"{'dynamic' if report['dynamic'] else 'static'} H/W, opset "
        f"{report['opset']}, outputs {', '.join(report['outputs'])}",
        f"  model {report['config']} with {weights}",
        f"  deploy config {report['deploy_config']}",
        '  onnxruntime {onnxruntime} (mmdeploy {mmdeploy}, torch {torch})'.
        format(**report['versions']) +
        (f", custom ops {report['custom_ops']} from {report['ops_library']}"
         if report['custom_ops'] else ', no custom op'),
        f"  image: {report['image']}",
    ]
    for check in report['checks']:
        shape = 'x'.join(str(s) for s in check['input_shape'])
        flag = 'ok' if check['ok'] else 'EXCEEDS TOLERANCE'
        lines.append(f"  {check['name']} (input {shape}): "
                     f'{_figures(check)}: {flag}')
    lines.append('OK: onnxruntime agrees with PyTorch' if report['ok'] else
                 'FAILED: onnxruntime disagrees with PyTorch beyond the '
                 f"tolerances {report['tolerances']}")
    return '\n'.join(lines)
