"""mmpose's pose visualizer, made to work with numpy 2.

Imported on first use of ``type='mmscalablevit.PoseLocalVisualizer'`` (the
registry's location), so that importing the package never imports mmpose.
"""
import numpy as np
from mmpose.visualization import PoseLocalVisualizer as _PoseLocalVisualizer

from .registry import VISUALIZERS


@VISUALIZERS.register_module()
class PoseLocalVisualizer(_PoseLocalVisualizer):
    """mmpose's ``PoseLocalVisualizer`` (same arguments, same drawings),
    used by ``tools/test.py --show-dir`` and ``MMPoseInferencer``.

    mmpose 1.3.2 draws each keypoint with a radius given as a one-element
    array and its OpenCV backend takes ``int(radius)``, which numpy >= 2.0
    rejects ("only 0-dimensional arrays can be converted to Python
    scalars"): every drawing with keypoints fails. The radius is handed on
    as a number.
    """

    def draw_circles(self,
                     center,
                     radius,
                     face_colors='none',
                     alpha=1.0,
                     **kwargs):
        if self.backend == 'opencv':
            radius = float(np.asarray(radius).reshape(-1)[0])
        return super().draw_circles(
            center, radius, face_colors=face_colors, alpha=alpha, **kwargs)
