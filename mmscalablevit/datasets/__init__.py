from .synthetic import SEG_CLASSES, SHAPES, make_ade_shapes, make_coco_shapes
from .synthetic_people import make_coco_people
from .transforms import AlignResize

__all__ = [
    'AlignResize', 'SHAPES', 'SEG_CLASSES', 'make_coco_shapes',
    'make_ade_shapes', 'make_coco_people'
]
