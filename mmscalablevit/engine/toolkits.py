"""One entry point for four toolkits: run the config's toolkit's own
``tools/train.py`` / ``tools/test.py`` (shipped in its wheel under
``.mim/tools``) in this process, with the package's additions.

Every option of those scripts works as documented by the toolkit (mmdet's
``--auto-scale-lr``, ``--tta``, ``--show-dir``, ``--out``, mmpretrain's
``--out-item``, mmpose's ``--dump``, ...). What the package adds, and
nothing else:

* the toolkit is picked by the config's ``default_scope``;
* ``--launcher pytorch`` works on CPU-only machines (gloo), and the process
  group is destroyed before exit (:mod:`.distributed`);
* ``--resume CKPT`` resumes from that checkpoint for every toolkit (mmseg's
  own script only knows ``--resume`` for the latest checkpoint);
* the checkpoint of ``load_from``, ``--resume`` (given or the work dir's
  latest) and the test tool's ``CHECKPOINT`` is read by the package's safe
  reader (the ``mmscalablevit://`` scheme, :mod:`..checkpoint.scheme`);
* the runner the script built and, for tests, the metrics it logged in the
  work dir are returned.

Exact resume is the configs' own: they name :class:`ExactResumeHook`.
"""
import copy
import importlib
import importlib.util
import json
import os.path as osp
import runpy
import sys
from contextlib import contextmanager
from typing import List, Optional

from mmengine.config import Config
from mmengine.runner import find_latest_checkpoint

from ..checkpoint import safe_source
from .distributed import end_distributed, setup_cpu_distributed

TOOLKITS = ('mmdet', 'mmseg', 'mmpretrain', 'mmpose')


def toolkit_of(cfg: Config) -> str:
    """The toolkit a config belongs to, from its ``default_scope``."""
    scope = cfg.get('default_scope')
    if scope not in TOOLKITS:
        raise ValueError(
            f'Config default_scope is {scope!r}; the tools run configs whose '
            f'default_scope is one of {TOOLKITS} (inherit an mmdet::, '
            'mmseg::, mmpretrain:: or mmpose:: base, or set default_scope).')
    return scope


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Read a config and apply ``--cfg-options``."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model(cfg: Config, pretrained: bool = False):
    """The model a config describes, built in its toolkit's registry as the
    runner builds it (a top-level ``data_preprocessor`` completes the
    model's). Weights are not initialised yet (call ``init_weights``).

    Args:
        pretrained (bool): Keep the backbone's ``init_cfg``. By default it
            is dropped, so that ``init_weights`` needs no pretrained file
            (the backbone's own initialisation is used).
    """
    from mmengine.registry import init_default_scope
    scope = toolkit_of(cfg)
    init_default_scope(scope)
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') and 'data_preprocessor' not in model_cfg:
        model_cfg.data_preprocessor = cfg.data_preprocessor
    if not pretrained and model_cfg.get('backbone') is not None:
        model_cfg.backbone.init_cfg = None
    return importlib.import_module(f'{scope}.registry').MODELS.build(model_cfg)


def toolkit_script(toolkit: str, name: str) -> str:
    """Path of ``<toolkit>/.mim/tools/<name>.py`` in the installed wheel."""
    spec = importlib.util.find_spec(toolkit)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f'{toolkit} is not installed: bash tools/install.sh')
    path = osp.join(spec.submodule_search_locations[0], '.mim', 'tools',
                    f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f"{toolkit}'s {name}.py is not in its installation ({path}); "
            'reinstall it from a wheel (pip install --force-reinstall).')
    return path


class _Run:
    """What a toolkit script built (``runner``) and, for a test, the
    metrics it logged (``metrics``)."""
    runner = None
    metrics = None


def logged_test_metrics(runner) -> Optional[dict]:
    """The metrics of the runner's test, as its logger hook wrote them to
    ``<work_dir>/<timestamp>/<timestamp>.json`` (None where this process
    wrote none)."""
    path = osp.join(runner.log_dir, f'{runner.timestamp}.json')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if not records:
        return None
    return {
        k: v
        for k, v in records[-1].items() if k not in ('time', 'data_time')
    }


@contextmanager
def _plugin_runtime(resume_from: Optional[str]):
    """While a toolkit script runs, ``Runner.from_cfg`` starts gloo on
    CPU-only machines and resumes from ``resume_from`` (the two things the
    scripts cannot be told), and keeps the runner."""
    from mmengine.runner import Runner
    run = _Run()
    original_from_cfg = Runner.__dict__['from_cfg']

    def from_cfg(cls, cfg):
        setup_cpu_distributed(cfg)
        if resume_from is not None:
            cfg.resume, cfg.load_from = True, resume_from
        if cfg.get('resume') and not cfg.get('load_from'):
            cfg.load_from = find_latest_checkpoint(cfg.work_dir)
        cfg.load_from = safe_source(cfg.get('load_from'))
        run.runner = original_from_cfg.__func__(cls, cfg)
        return run.runner

    Runner.from_cfg = classmethod(from_cfg)
    try:
        yield run
    finally:
        Runner.from_cfg = original_from_cfg


def _split_resume(argv: List[str], toolkit: str):
    """mmseg's script takes ``--resume`` as a flag: take a path given after
    it out of ``argv`` (the runtime then resumes from that file)."""
    if toolkit != 'mmseg' or '--resume' not in argv:
        return argv, None
    i = argv.index('--resume')
    if i + 1 < len(argv) and not argv[i + 1].startswith('-'):
        return argv[:i + 1] + argv[i + 2:], argv[i + 1]
    return argv, None


def run_tool(name: str, argv: Optional[List[str]] = None) -> _Run:
    """Run the config's toolkit's ``tools/<name>.py`` with ``argv`` (default:
    this process's arguments); returns its runner (and test metrics, read
    from the work dir)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    config = next((a for a in argv if not a.startswith('-')), None)
    if config is None:
        usage = (f'usage: {name}.py CONFIG {"CHECKPOINT " * (name == "test")}'
                 f"[options]\n\nRuns the config's toolkit's own tools/"
                 f'{name}.py (mmdet, mmseg, mmpretrain or mmpose, by the '
                 "config's default_scope) with its options; `CONFIG -h` "
                 'lists them.')
        if {'-h', '--help'} & set(argv):
            print(usage)
            raise SystemExit(0)
        raise SystemExit(usage)
    toolkit = toolkit_of(Config.fromfile(config))
    script = toolkit_script(toolkit, name)
    argv, resume_from = _split_resume(argv, toolkit)
    saved_argv = sys.argv
    sys.argv = [script] + argv
    ok = False
    try:
        with _plugin_runtime(resume_from) as run:
            runpy.run_path(script, run_name='__main__')
        if name == 'test' and run.runner is not None:
            run.metrics = logged_test_metrics(run.runner)
        ok = True
    finally:
        sys.argv = saved_argv
        end_distributed(wait=ok)
    return run
