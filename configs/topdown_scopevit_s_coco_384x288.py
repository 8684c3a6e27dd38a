# Top-down pose + ScopeViT-S, COCO keypoints at 384x288: the T config with
# the S backbone and the authors' stochastic depth 0.2, trained in mixed
# precision with a dynamic loss scale as theirs (fp16 on in their
# scopevit_s_coco_384x288.py only). Mixed precision needs a GPU; elsewhere
# pass --cfg-options optim_wrapper.type=OptimWrapper.
_base_ = [
    './topdown_scopevit_t_coco_384x288.py', './_base_/models/scopevit.py'
]
__scope = _base_.pop('scopevit')

model = dict(
    backbone=dict(__scope.s.backbone, drop_path_rate=0.2),
    head=dict(in_channels=__scope.s.channels[-1]))
# loss_scale='dynamic' is AmpOptimWrapper's default
optim_wrapper = dict(_scope_='mmpose', type='AmpOptimWrapper')
