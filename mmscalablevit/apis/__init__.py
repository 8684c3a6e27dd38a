from .runner import build_runner, load_config, toolkit_of

__all__ = ['build_runner', 'load_config', 'toolkit_of']
