"""Running the toolkits with the package: their own train/test scripts,
CPU-only distributed launch, exact resume."""
from .distributed import end_distributed, setup_cpu_distributed
from .exact_resume import ExactResumeHook, check_resumable, reseed
from .toolkits import TOOLKITS, build_model, load_config, run_tool, toolkit_of

__all__ = [
    'ExactResumeHook', 'check_resumable', 'reseed', 'setup_cpu_distributed',
    'end_distributed', 'TOOLKITS', 'build_model', 'load_config', 'run_tool',
    'toolkit_of'
]
