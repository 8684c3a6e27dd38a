"""Train with a detection, segmentation, classification or pose config: the
config's toolkit's own ``tools/train.py`` (its options), run by
:func:`mmscalablevit.engine.run_tool`."""
from ..engine import run_tool


def main(argv=None):
    """Train; returns the runner."""
    return run_tool('train', argv).runner


def cli():
    """Console entry point (exit status 0 on success)."""
    main()


if __name__ == '__main__':
    main()
