"""Run every loading path of the package on checkpoint files, in this
process, under a memory limit; print one JSON line per (file, path).

    python tests/helpers/load_paths.py FILES_JSON URL_ROOT MEMORY_MIB

FILES_JSON maps names to paths; URL_ROOT serves the same files over http.
Each line: ``{"file", "path", "outcome", "error", "message", "seconds"}``
where outcome is 'loaded' or 'raised'; the last line (``"file": null``)
gives HistoryBuffer's statistics methods and whether torch's allow-list
is as before. A crash ends the output early.
"""
import importlib.util
import json
import os.path as osp
import resource
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, ROOT)  # the tests package


def _limit_memory(extra_mib: int) -> None:
    """Address space: what the process maps now plus ``extra_mib``."""
    with open('/proc/self/status') as status:
        size = next(
            int(line.split()[1]) for line in status
            if line.startswith('VmSize:'))
    limit = size * 1024 + extra_mib * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _paths(url_root: str) -> dict:
    """name -> function(file name, path) running one loading path."""
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmscalablevit.checkpoint import (convert_main, read_checkpoint,
                                          safe_source)
    from mmscalablevit.engine import build_model, load_config
    from mmscalablevit.models import ScalableViT, ScopeViT
    from tests.scalable_vit.fixtures import TINY_ARCH as SCALABLE_ARCH
    from tests.scope_vit.fixtures import TINY_ARCH as SCOPE_ARCH
    spec = importlib.util.spec_from_file_location(
        'pytorch2onnx', osp.join(ROOT, 'tools', 'deployment',
                                 'pytorch2onnx.py'))
    pytorch2onnx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pytorch2onnx)
    segmentor = build_model(
        load_config(
            osp.join(ROOT, 'configs', 'quickstart',
                     'semfpn_scalablevit_tiny_shapes.py')))
    scalable, scope = ScalableViT(SCALABLE_ARCH), ScopeViT(SCOPE_ARCH)

    def pretrained(model, checkpoint):
        model.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
        model.init_weights()

    def convert(backbone_cls, path):
        try:
            convert_main(backbone_cls, [path, path + '.converted'])
        except SystemExit as error:  # the CLI's one-line error
            raise ValueError(str(error)) from None

    return {
        'read':
        lambda name, path: read_checkpoint(path),
        'init_cfg_scalablevit':
        lambda name, path: pretrained(scalable, path),
        'init_cfg_scopevit':
        lambda name, path: pretrained(scope, path),
        'init_cfg_url':
        lambda name, path: pretrained(scalable,
                                      f'{url_root}/{osp.basename(path)}'),
        'load_from':
        lambda name, path: _load_checkpoint(
            safe_source(path), map_location='cpu', logger='silent'),
        'scalablevit2mm':
        lambda name, path: convert(ScalableViT, path),
        'scopevit2mm':
        lambda name, path: convert(ScopeViT, path),
        'pytorch2onnx':
        lambda name, path: pytorch2onnx.load_weights(segmentor, path),
    }


def main(files_json: str, url_root: str, memory_mib: str) -> None:
    with open(files_json) as f:
        files = json.load(f)
    paths = _paths(url_root)
    import torch
    from mmengine.logging import HistoryBuffer, MMLogger
    MMLogger.get_current_instance().setLevel('ERROR')  # keeps stdout JSON
    allowed = set(torch.serialization.get_safe_globals())
    _limit_memory(int(memory_mib))
    for name, path in files.items():
        for path_name, run in paths.items():
            start = time.perf_counter()
            record = dict(file=name, path=path_name)
            try:
                run(name, path)
                record.update(outcome='loaded')
            except BaseException as error:
                record.update(
                    outcome='raised',
                    error=type(error).__name__,
                    message=str(error))
            record['seconds'] = round(time.perf_counter() - start, 3)
            print(json.dumps(record), flush=True)
    # nothing process-wide changed
    print(
        json.dumps(
            dict(
                file=None,
                statistics=sorted(HistoryBuffer._statistics_methods),
                safe_globals_kept=set(
                    torch.serialization.get_safe_globals()) == allowed)))


if __name__ == '__main__':
    main(*sys.argv[1:])
