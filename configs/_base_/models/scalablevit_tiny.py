# A small ScalableViT backbone (4.6M parameters) for CPU quick starts and
# tests: the released layout (IWSA/SSA alternation, r_n 1/64..1, r_c 1.25)
# at half of S's width, depth 2 per stage, trained from scratch.
# Configs take it with `__tiny = _base_.pop('scalablevit_tiny')`.
scalablevit_tiny = dict(
    backbone=dict(
        _delete_=True,
        type='mmscalablevit.ScalableViT',
        arch=dict(
            embed_dims=[32, 64, 128, 256],
            depths=[2, 2, 2, 2],
            num_heads=[1, 2, 4, 8],
            mlp_ratios=[4, 4, 4, 4],
            sr_ratios=[8, 4, 2, 1],
            c_ratios=[1.25, 1.25, 1.25, 1],
            window_sizes=[7, 7, 7, 7]),
        out_indices=(0, 1, 2, 3),
        drop_path_rate=0.1,
        # From scratch on zero-padded batches: the released init zeroes every
        # conv bias, so padded areas reach the patch-embedding LayerNorm as
        # constant tokens whose gradient is scaled by 1/sqrt(eps) = 1000 and
        # training diverges. Linear and LayerNorm get the released init;
        # convs keep PyTorch's (non-constant biases).
        init_cfg=[
            dict(type='TruncNormal', layer='Linear', std=.02, bias=0.),
            dict(type='Constant', layer='LayerNorm', val=1., bias=0.)
        ]),
    channels=[32, 64, 128, 256])
