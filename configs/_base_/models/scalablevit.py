# ScalableViT as a dense-prediction backbone: one entry per released
# variant (the backbone with the authors' ImageNet-1K weights, converted or
# as downloaded, see README; and the widths C, 2C, 4C, 8C its necks and
# heads take), and the parameters that get no weight decay where a recipe
# excludes them (Twins' PEG and norms).
# Configs take it with `__sv = _base_.pop('scalablevit')`, so it never
# shows up as a key of theirs.
scalablevit = dict(
    s=dict(
        backbone=dict(
            _delete_=True,
            type='mmscalablevit.ScalableViT',
            arch='s',
            out_indices=(0, 1, 2, 3),
            drop_path_rate=0.2,  # paper silent: Twins' det/seg value
            init_cfg=dict(
                type='Pretrained',
                checkpoint='checkpoints/scalablevit_s_in1k.pth')),
        channels=[64, 128, 256, 512]),
    b=dict(
        backbone=dict(
            arch='b',
            init_cfg=dict(checkpoint='checkpoints/scalablevit_b_in1k.pth')),
        channels=[96, 192, 384, 768]),
    l=dict(
        backbone=dict(
            arch='l',
            init_cfg=dict(checkpoint='checkpoints/scalablevit_l_in1k.pth')),
        channels=[128, 256, 512, 1024]),
    no_decay={
        'pos_block': dict(decay_mult=0.),
        'norm': dict(decay_mult=0.)
    })
