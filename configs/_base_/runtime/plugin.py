# What every shipped config adds to its toolkit's runtime: import the
# package (registers the backbones, the safe checkpoint reader and
# ExactResumeHook) and resume exactly.
custom_imports = dict(imports=['mmscalablevit'], allow_failed_imports=False)
custom_hooks = [dict(type='mmscalablevit.ExactResumeHook')]
