#!/usr/bin/env python
"""Speed and memory of ScalableViT next to Swin-T and Twins-SVT-S (CPU or
CUDA), as ratios measured in one interleaved run. Examples:

    # backbones: inference, training step, with_cp, memory, FLOP rate
    python tools/analysis_tools/benchmark.py --shapes 224x224:8 \\
        896x1344:1 --train --with-cp --memory --flops --out-dir work_dirs/bench
    # a whole detector from its config
    python tools/analysis_tools/benchmark.py --models --config \\
        configs/retinanet_scalablevit_s_1x.py --shapes 800x1216:1

See mmscalablevit/benchmark.py for the method.
"""
from mmscalablevit.benchmark import main

if __name__ == '__main__':
    main()
