# A small ScalableViT backbone (4.6M parameters) for CPU quick starts and
# tests: the released layout (IWSA/SSA alternation, r_n 1/64..1, r_c 1.25)
# at half of S's width, depth 2 per stage, trained from scratch.
# Use as `model = dict(backbone={{_base_.scalablevit_tiny}})`.
scalablevit_tiny_channels = [32, 64, 128, 256]
scalablevit_tiny = dict(
    _delete_=True,
    type='mmscalablevit.ScalableViT',
    arch=dict(
        embed_dims=scalablevit_tiny_channels,
        depths=[2, 2, 2, 2],
        num_heads=[1, 2, 4, 8],
        mlp_ratios=[4, 4, 4, 4],
        sr_ratios=[8, 4, 2, 1],
        c_ratios=[1.25, 1.25, 1.25, 1],
        window_sizes=[7, 7, 7, 7]),
    out_indices=(0, 1, 2, 3),
    drop_path_rate=0.1,
    init_cfg=None)
