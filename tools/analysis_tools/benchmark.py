#!/usr/bin/env python
"""Speed and memory of the package's backbones next to the stack's, on CPU
or CUDA, as ratios measured in one interleaved run. Examples:

    # backbones: inference, training step, with_cp, memory, FLOP rate
    python tools/analysis_tools/benchmark.py --shapes 224x224:8 \\
        896x1344:1 --train --with-cp --memory --flops --out-dir work_dirs/bench
    # a whole detector from its config
    python tools/analysis_tools/benchmark.py --models --config \\
        configs/retinanet_scalablevit_s_1x.py --shapes 800x1216:1
    # a whole model in PyTorch (predict) and its ONNX file in onnxruntime
    python tools/analysis_tools/benchmark.py --models --deploy \\
        configs/retinanet_scalablevit_s_1x.py --shapes 800x1216:1

Timings are interleaved: every round runs each model once (``repeats``
calls, averaged) and the reported figure is the median over rounds, so that
machine drift hits all models alike. Ratios are taken against a baseline
model measured in the same run. Peak training memory is measured on CUDA
with the allocator's statistics and on CPU with torch's MemTracker, which
follows every tensor storage (parameters, gradients, activations,
temporaries).

Models: the table in benchmark_models.py (backbones, built without
stochastic depth), ``config:PATH`` (a whole model from a config,
inference only) and ``--deploy PATH``: the config's whole model (initial
weights) as PyTorch eager ``predict`` (box decoding and NMS included) and as
its dynamic ONNX file exported through mmdeploy
(mmscalablevit.deployment.whole_model) run in onnxruntime on the CPU, both
on the same input tensor (batch 1); the onnxruntime row gives its speed
relative to eager. Masks of Mask R-CNN are pasted outside the file, so time
box detectors.
"""
import argparse
import json
import os
import os.path as osp
import statistics
import tempfile
import time
from contextlib import nullcontext
from typing import Callable, Dict, List, Tuple

import torch
import torch.nn as nn
from benchmark_models import AUTHORS_FILES, MODELS, Reference


def build_backbone(name: str, with_cp: bool = False) -> nn.Module:
    """A backbone of the table in benchmark_models.py."""
    if name not in MODELS:
        raise ValueError(f'Unknown model {name!r}; choose from '
                         f'{sorted(MODELS)} or config:PATH.')
    return MODELS[name](with_cp)


def build_from_config(path: str) -> Tuple[nn.Module, str]:
    """A whole model from a config, wrapped to take an image tensor."""
    import importlib

    from mmengine.registry import init_default_scope

    from mmscalablevit.analysis import CountedForward
    from mmscalablevit.engine import load_config, toolkit_of
    cfg = load_config(path)
    scope = toolkit_of(cfg)
    init_default_scope(scope)
    if cfg.get('data_preprocessor') and 'data_preprocessor' not in cfg.model:
        cfg.model.data_preprocessor = cfg.data_preprocessor
    cfg.model.backbone.init_cfg = None
    model = importlib.import_module(f'{scope}.registry').MODELS.build(
        cfg.model)
    return CountedForward(model, scope), scope


def build_deployed(path: str, shape, work_dir: str, threads=None):
    """PyTorch eager and onnxruntime steps of a config's whole model on one
    input (1, 3, H, W): the image through the test pipeline, resized to
    H x W; the dynamic ONNX file is written to ``work_dir``."""
    from mmdeploy.utils import load_config
    from mmengine.config import Config

    from mmscalablevit.datasets.synthetic import make_shapes_image
    from mmscalablevit.deployment import whole_model
    batch, h, w = shape
    if batch != 1:
        raise ValueError(f'--deploy times batch 1; got {batch} in {shape}.')
    cfg = Config.fromfile(path)
    task = whole_model.task_of(cfg)
    deploy_cfg = load_config(whole_model.deploy_config_path(task, True))[0]
    model = whole_model.build_model(cfg)
    processor = whole_model.task_processor(cfg, deploy_cfg)
    samples, inputs = whole_model.make_input(processor, model,
                                             make_shapes_image(h, w))
    x = whole_model.resized_input(inputs, samples, h, w)
    os.makedirs(work_dir, exist_ok=True)
    onnx_file = osp.join(
        work_dir, f'{osp.splitext(osp.basename(path))[0]}_{h}x{w}.onnx')
    whole_model.export(model, deploy_cfg, x, samples, onnx_file)
    session, _ = whole_model.onnx_session(onnx_file, threads)

    def eager():
        whole_model.pytorch_prediction(model, task, x, samples)

    def onnxruntime():
        whole_model.run_onnx(session, x)

    return eager, onnxruntime


def parse_shape(text: str) -> Tuple[int, int, int]:
    """'HxW:B' -> (B, H, W)."""
    size, _, batch = text.partition(':')
    h, _, w = size.partition('x')
    return int(batch or 1), int(h), int(w or h)


def _sync(device):
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def _autocast(device, amp: bool):
    if not amp:
        return nullcontext()
    dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    return torch.autocast(device.type, dtype=dtype)


def _outputs_sum(out):
    if isinstance(out, torch.Tensor):
        return out.float().sum()
    if isinstance(out, (list, tuple)):
        return sum(_outputs_sum(o) for o in out)
    return 0.


def make_step(model: nn.Module, x: torch.Tensor, train: bool,
              amp: bool) -> Callable[[], None]:
    device = x.device
    if train:
        model.train()

        def step():
            with _autocast(device, amp):
                loss = _outputs_sum(model(x))
            loss.backward()
            model.zero_grad(set_to_none=True)
    else:
        model.eval()

        def step():
            with torch.no_grad(), _autocast(device, amp):
                model(x)

    return step


def time_interleaved(steps: Dict[str, Callable[[], None]], device, rounds: int,
                     repeats: int, warmup: int) -> Dict[str, List[float]]:
    """Seconds per call of each step: one sample per round, models
    interleaved within each round."""
    for step in steps.values():
        for _ in range(warmup):
            step()
    _sync(device)
    samples = {name: [] for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            for _ in range(repeats):
                step()
            _sync(device)
            samples[name].append((time.perf_counter() - start) / repeats)
    return samples


def matmul_rate(device, size: int = 1024, repeats: int = 20) -> float:
    """The machine's fp32 matmul rate in multiply-adds per second."""
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(5):
        _sync(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _sync(device)
        times.append((time.perf_counter() - start) / repeats)
    return size**3 / statistics.median(times)


def model_flops(model: nn.Module, scope, shape) -> float:
    """Multiply-adds of one image (attention matmuls included)."""
    from mmscalablevit.analysis import count_flops
    if isinstance(model, Reference):
        model = model.model
    if scope is None:
        return count_flops(model, None, shape)['total']
    return count_flops(model.model, scope, shape)['total']


def peak_train_memory(name: str, shape, with_cp: bool, amp: bool,
                      device) -> float:
    """Peak memory (MB) of one forward + backward: everything allocated at
    the peak, parameters included (CUDA: the allocator's peak; CPU:
    torch's MemTracker, which follows every tensor storage)."""
    torch.manual_seed(0)
    model = build_backbone(name, with_cp).to(device)
    batch, h, w = shape
    x = torch.randn(batch, 3, h, w, device=device)
    step = make_step(model, x, True, amp)
    if device.type == 'cuda':
        step()  # one-time workspaces
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) / 2**20
    from torch.distributed._tools.mem_tracker import MemTracker
    tracker = MemTracker()
    tracker.track_external(model)
    with tracker:
        step()
    return tracker.get_tracker_snapshot('peak')[device]['Total'] / 2**20


def run(args) -> dict:
    """The benchmark; ``--threads`` holds for this call only."""
    threads = torch.get_num_threads()
    try:
        if args.threads:
            torch.set_num_threads(args.threads)
        return _run(args)
    finally:
        torch.set_num_threads(threads)


def _run(args) -> dict:
    device = torch.device(
        args.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    names = list(args.models) + [f'config:{c}' for c in args.config]
    rate = matmul_rate(device)
    results = dict(
        device=torch.cuda.get_device_name(device)
        if device.type == 'cuda' else f'cpu ({torch.get_num_threads()} '
        'threads)',
        torch=torch.__version__,
        matmul_rate_gmacs=rate / 1e9,
        rounds=args.rounds,
        repeats=args.repeats,
        amp=args.amp,
        baseline=args.baseline,
        rows=[])
    if args.deploy and device.type != 'cpu':
        raise ValueError('--deploy compares on the CPU: pass --device cpu.')
    work_dir = args.out_dir or tempfile.mkdtemp(prefix='benchmark_onnx_')
    for shape_text in args.shapes:
        shape = parse_shape(shape_text)
        batch, h, w = shape
        x = torch.randn(batch, 3, h, w, device=device)
        models, scopes = {}, {}
        for name in names:
            if name.startswith('config:'):
                models[name], scopes[name] = build_from_config(name[7:])
            else:
                models[name], scopes[name] = build_backbone(name), None
            models[name].to(device)
        modes = [('inference', False)
                 ] + ([('train', False)] if args.train else [])
        if args.train and args.with_cp:
            modes.append(('train', True))
        for mode, with_cp in modes:
            steps = {}
            for name, model in models.items():
                if mode == 'train' and name.startswith('config:'):
                    continue
                if with_cp:
                    try:
                        model = build_backbone(name, True).to(device)
                    except (ValueError, TypeError):  # no with_cp
                        continue
                steps[name] = make_step(model, x, mode == 'train', args.amp)
            if mode == 'inference':
                for path in args.deploy:
                    eager, ort = build_deployed(path, shape, work_dir,
                                                args.threads)
                    steps[f'deploy:{path} (pytorch)'] = eager
                    steps[f'deploy:{path} (onnxruntime)'] = ort
            times = time_interleaved(steps, device, args.rounds, args.repeats,
                                     args.warmup)
            base = statistics.median(times[args.baseline]) \
                if args.baseline in times else None
            for name, samples in times.items():
                median = statistics.median(samples)
                row = dict(
                    model=name,
                    mode=mode,
                    with_cp=with_cp,
                    shape=f'{h}x{w}',
                    batch=batch,
                    latency_ms=median * 1e3,
                    throughput=batch / median,
                    spread=(max(samples) - min(samples)) / median,
                    ratio_to_baseline=base / median if base else None)
                if name.endswith(' (onnxruntime)'):
                    eager = times[name[:-len(' (onnxruntime)')] + ' (pytorch)']
                    row['onnxruntime_speedup'] = statistics.median(
                        eager) / median
                if mode == 'inference' and args.flops and name in models:
                    flops = model_flops(models[name], scopes[name], (h, w))
                    row['gflops_per_image'] = flops / 1e9
                    row['flop_rate_fraction'] = flops * batch / median / rate
                if mode == 'train' and args.memory:
                    row['peak_memory_mb'] = peak_train_memory(
                        name, shape, with_cp, args.amp, device)
                results['rows'].append(row)
    _add_memory_ratios(results)
    return results


def _add_memory_ratios(results):
    for row in results['rows']:
        if 'peak_memory_mb' not in row:
            continue
        for other in results['rows']:
            if (other['model'] == results['baseline']
                    and other['mode'] == 'train' and not other['with_cp']
                    and other['shape'] == row['shape']
                    and 'peak_memory_mb' in other):
                row['memory_ratio_to_baseline'] = \
                    row['peak_memory_mb'] / other['peak_memory_mb']
            if (other['model'] == row['model'] and other['mode'] == 'train'
                    and not other['with_cp'] and row['with_cp']
                    and other['shape'] == row['shape']
                    and 'peak_memory_mb' in other):
                row['memory_ratio_to_no_cp'] = \
                    row['peak_memory_mb'] / other['peak_memory_mb']


def to_markdown(results: dict) -> str:
    lines = [
        f"Device: {results['device']}, torch {results['torch']}, "
        f"fp32 matmul rate {results['matmul_rate_gmacs']:.1f} GMAC/s; "
        f"median of {results['rounds']} interleaved rounds x "
        f"{results['repeats']} calls; ratios to {results['baseline']} "
        'in the same run.', '',
        '| model | mode | with_cp | input | batch | latency (ms) | img/s | '
        'x baseline | GFLOPs/img | FLOP-rate fraction | peak mem (MB) | '
        'mem x baseline | mem x no-cp | onnxruntime x eager |',
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|'
    ]

    def fmt(value, spec):
        return '' if value is None else format(value, spec)

    for r in results['rows']:
        lines.append(
            f"| {r['model']} | {r['mode']} | {r['with_cp']} | {r['shape']} "
            f"| {r['batch']} | {r['latency_ms']:.1f} | "
            f"{r['throughput']:.2f} | {fmt(r.get('ratio_to_baseline'), '.2f')}"
            f" | {fmt(r.get('gflops_per_image'), '.2f')} | "
            f"{fmt(r.get('flop_rate_fraction'), '.2f')} | "
            f"{fmt(r.get('peak_memory_mb'), '.0f')} | "
            f"{fmt(r.get('memory_ratio_to_baseline'), '.2f')} | "
            f"{fmt(r.get('memory_ratio_to_no_cp'), '.2f')} | "
            f"{fmt(r.get('onnxruntime_speedup'), '.2f')} |")
    return '\n'.join(lines) + '\n'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark the package's backbones against the "
        "stack's")
    parser.add_argument(
        '--models',
        nargs='*',
        default=['scalablevit-s', 'swin-t', 'twins-svt-s'],
        help=f'backbones: {", ".join(MODELS)}')
    parser.add_argument(
        '--config',
        nargs='*',
        default=[],
        help='configs whose whole models are timed')
    parser.add_argument(
        '--deploy',
        nargs='*',
        default=[],
        help='configs whose whole models are timed in PyTorch and, '
        'exported through mmdeploy, in onnxruntime (CPU, batch 1)')
    parser.add_argument(
        '--threads',
        type=int,
        help='CPU threads of torch and of onnxruntime (default: their own)')
    parser.add_argument(
        '--shapes',
        nargs='+',
        default=['224x224:8'],
        help='inputs as HxW:BATCH')
    parser.add_argument('--baseline', default='swin-t')
    parser.add_argument(
        '--train', action='store_true', help='also time forward + backward')
    parser.add_argument(
        '--with-cp',
        action='store_true',
        help='also time training with activation '
        'checkpointing')
    parser.add_argument(
        '--memory',
        action='store_true',
        help='peak memory of the training step')
    parser.add_argument(
        '--flops', action='store_true', help='FLOPs and achieved FLOP rate')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='autocast (fp16 on CUDA, bf16 on CPU)')
    parser.add_argument(
        '--device', help='cpu or cuda (default: cuda if '
        'available)')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument(
        '--authors-file',
        nargs='*',
        default=[],
        metavar='FAMILY=PATH',
        help="the released code of a backbone family for its *-authors "
        'models, e.g. scopevit=ScopeViT/models/scopevit.py (not shipped)')
    parser.add_argument(
        '--out-dir', help='write benchmark.json and '
        'benchmark.md here')
    args = parser.parse_args(argv)
    for item in args.authors_file:
        family, _, path = item.partition('=')
        AUTHORS_FILES[family] = path
    return args


def main(argv=None):
    args = parse_args(argv)
    results = run(args)
    table = to_markdown(results)
    print(table)
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        with open(osp.join(args.out_dir, 'benchmark.json'), 'w') as f:
            json.dump(results, f, indent=2)
        with open(osp.join(args.out_dir, 'benchmark.md'), 'w') as f:
            f.write(table)
    return results


if __name__ == '__main__':
    main()
