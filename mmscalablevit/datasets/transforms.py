"""Data transforms the released downstream configs use and the toolkits'
3.x / 1.x versions no longer have."""
import math

import mmcv
from mmcv.transforms import Resize
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS

from ..registry import TRANSFORMS


class AlignResize(Resize):
    """Resize keeping the aspect ratio to fit ``scale``, then resize (not
    pad) each side up to the next multiple of ``size_divisor``: mmseg 0.x's
    ``AlignResize`` of PoolFormer-style ADE20K test pipelines.

    ``img_shape`` and ``scale_factor`` describe the final image, so the
    segmentors' post-processing resizes predictions back to ``ori_shape``.

    Args:
        scale (tuple[int, int]): ``(long side, short side)`` bound, as
            ``Resize(keep_ratio=True)`` takes it.
        size_divisor (int): Sides become multiples of it. Defaults to 32.
        interpolation (str): Defaults to ``'bilinear'``.
        backend (str): ``'cv2'`` or ``'pillow'``. Defaults to ``'cv2'``.
    """

    def __init__(self,
                 scale,
                 size_divisor: int = 32,
                 interpolation: str = 'bilinear',
                 backend: str = 'cv2'):
        super().__init__(
            scale=scale,
            keep_ratio=True,
            interpolation=interpolation,
            backend=backend)
        self.size_divisor = size_divisor

    def _resize_img(self, results: dict) -> None:
        super()._resize_img(results)
        img = results['img']
        h, w = img.shape[:2]
        d = self.size_divisor
        aligned_h, aligned_w = math.ceil(h / d) * d, math.ceil(w / d) * d
        if (aligned_h, aligned_w) == (h, w):
            return
        results['img'] = mmcv.imresize(
            img, (aligned_w, aligned_h),
            interpolation=self.interpolation,
            backend=self.backend)
        w_scale, h_scale = results['scale_factor']
        results['img_shape'] = (aligned_h, aligned_w)
        results['scale_factor'] = (w_scale * aligned_w / w,
                                   h_scale * aligned_h / h)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scale={self.scale}, size_divisor='
                f'{self.size_divisor}, interpolation={self.interpolation})')


TRANSFORMS.register_module(module=AlignResize)
MMENGINE_TRANSFORMS.register_module(module=AlignResize)
