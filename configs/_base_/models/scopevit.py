# ScopeViT as a dense-prediction backbone, as the authors' downstream configs
# set it: one entry per released variant (stochastic depth 0.05 / 0.1 / 0.1,
# the ImageNet-1K weights, the widths its necks and heads take), and the
# authors' no-decay keys. Configs take it with
# `__scope = _base_.pop('scopevit')`, so it never shows up as a key of theirs.
scopevit = dict(
    t=dict(
        backbone=dict(
            _delete_=True,
            type='mmscalablevit.ScopeViT',
            arch='t',
            out_indices=(0, 1, 2, 3),
            drop_path_rate=0.1,
            # the authors' only published weights (a timm training
            # checkpoint, converted on the fly; downloaded once into torch's
            # hub cache)
            init_cfg=dict(
                type='Pretrained',
                checkpoint='https://github.com/xuesongnie/ScopeViT/releases/'
                'download/v1.0.0/scopevit_tiny.pth')),
        channels=[32, 64, 128, 256]),
    # No XT/S weights are published: train scopevit_{xt,s}_in1k.py first and
    # point here, or train from scratch (init_cfg=None).
    xt=dict(
        backbone=dict(
            arch='xt',
            drop_path_rate=0.05,
            init_cfg=dict(checkpoint='checkpoints/scopevit_xt_in1k.pth')),
        channels=[32, 64, 128, 256]),
    s=dict(
        backbone=dict(
            arch='s',
            drop_path_rate=0.1,
            init_cfg=dict(checkpoint='checkpoints/scopevit_s_in1k.pth')),
        channels=[64, 128, 256, 512]),
    # The authors' keys, with their effect kept: matched as substrings of
    # parameter names, only 'norm' ever matches (the blocks' LayerNorms,
    # norm{i}, patch_embed{2,3,4}.norm). 'layer_scale' and 'scale' match no
    # ScopeViT parameter (LayerScale is `ls1.gamma` / `ls2.gamma`), so
    # LayerScale, the stem and CPE BatchNorms and all biases are decayed, as
    # in the authors' runs.
    no_decay={
        'layer_scale': dict(decay_mult=0.),
        'scale': dict(decay_mult=0.),
        'norm': dict(decay_mult=0.)
    })
# The quick start's backbone: XT (over T's complete entry), from scratch.
scopevit['scratch_xt'] = dict(
    backbone={
        **scopevit['t']['backbone'],
        **scopevit['xt']['backbone'], 'init_cfg': None
    },
    channels=scopevit['xt']['channels'])
