from .synthetic import (SEG_CLASSES, SEG_PALETTE, SHAPES, make_ade_shapes,
                        make_coco_shapes)

__all__ = [
    'SHAPES', 'SEG_CLASSES', 'SEG_PALETTE', 'make_coco_shapes',
    'make_ade_shapes'
]
