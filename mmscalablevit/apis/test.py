"""Test a checkpoint with a detection, segmentation, classification or
pose config (COCO box/mask mAP, mIoU, top-k accuracy or COCO keypoint AP):
the config's toolkit's own ``tools/test.py`` (its options), run by
:func:`mmscalablevit.engine.run_tool`."""
from ..engine import run_tool


def main(argv=None):
    """Test; returns the metrics."""
    return run_tool('test', argv).metrics


def cli():
    """Console entry point (exit status 0 on success)."""
    main()


if __name__ == '__main__':
    main()
