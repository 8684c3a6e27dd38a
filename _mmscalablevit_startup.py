"""Run at interpreter start by ``mmscalablevit-startup.pth`` (installed at
the root of site-packages): hooks the imports of mmengine's config module
and mmpretrain's model hub, so that ``mmscalablevit::`` configs and the
package's model names work in the toolkits' own scripts too.

Standard library only and nothing imported until those modules are: the
package's ``utils/toolkit_glue.py`` is loaded by path, without importing the
package. If the package is gone, this does nothing.
"""


def install():
    import os.path as osp
    from importlib.util import (find_spec, module_from_spec,
                                spec_from_file_location)
    try:
        spec = find_spec('mmscalablevit')
    except (ImportError, ValueError):
        return
    if spec is None or not spec.submodule_search_locations:
        return
    path = osp.join(
        list(spec.submodule_search_locations)[0], 'utils', 'toolkit_glue.py')
    if not osp.isfile(path):
        return
    glue_spec = spec_from_file_location('_mmscalablevit_toolkit_glue', path)
    glue = module_from_spec(glue_spec)
    glue_spec.loader.exec_module(glue)
    glue.install()
