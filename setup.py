"""Install mmscalablevit.

Besides the Python package, installs ship:

* ``configs/``, ``tools/`` and ``model-index.yml`` under ``mmscalablevit/.mim``
  (the OpenMMLab convention, read by mim and by ``mmscalablevit::`` config
  inheritance). Editable installs (``pip install -e .``) link them to the
  sources; wheels and sdists copy them.
* ``mmscalablevit-startup.pth`` and ``_mmscalablevit_startup.py`` at the root
  of site-packages: a post-import hook that makes ``mmscalablevit::`` configs
  and the package's mmpretrain model names work in the toolkits' own scripts
  (``mmscalablevit/utils/toolkit_glue.py``), also for editable installs.
* For editable installs, ``top_level.txt`` names the source package folder:
  mim and mmengine look a package up as ``<dist location>/<top level>``, and
  an editable install has no ``site-packages/mmscalablevit``.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py as _build_py
from setuptools.command.egg_info import egg_info as _egg_info

ROOT = osp.dirname(osp.abspath(__file__))
MIM = osp.join(ROOT, 'mmscalablevit', '.mim')
STARTUP_PTH = 'mmscalablevit-startup.pth'


def read_version():
    scope = {}
    with open(osp.join(ROOT, 'mmscalablevit', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def _place(src, dst, link):
    if osp.islink(dst) or osp.isfile(dst):
        os.remove(dst)
    elif osp.isdir(dst):
        shutil.rmtree(dst)
    os.makedirs(osp.dirname(dst), exist_ok=True)
    if link:
        try:
            os.symlink(osp.relpath(src, osp.dirname(dst)), dst)
            return
        except OSError:  # file systems without symlinks: copy instead
            pass
    if osp.isdir(src):
        shutil.copytree(
            src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    else:
        shutil.copyfile(src, dst)


def build_mim_folder():
    commands = {
        'develop', 'editable_wheel', 'bdist_wheel', 'sdist', 'build',
        'build_py', 'install', 'egg_info'
    }
    if not commands & set(sys.argv[1:]):
        return
    link = bool({'develop', 'editable_wheel'} & set(sys.argv[1:]))
    for entry in ('configs', 'tools', 'model-index.yml'):
        _place(osp.join(ROOT, entry), osp.join(MIM, entry), link)


class build_py(_build_py):
    """Puts the startup ``.pth`` at the root of the wheel (site-packages);
    for an editable wheel, at the root of the wheel being built."""

    def run(self):
        super().run()
        if self.editable_mode:
            target = self.get_finalized_command('install').install_lib
        else:
            target = self.build_lib
        self.mkpath(target)
        self.copy_file(
            osp.join(ROOT, STARTUP_PTH),
            osp.join(target, STARTUP_PTH),
            preserve_mode=0)

    def get_outputs(self, *args, **kwargs):
        outputs = super().get_outputs(*args, **kwargs)
        if not self.editable_mode:
            outputs.append(osp.join(self.build_lib, STARTUP_PTH))
        return outputs


class egg_info(_egg_info):
    """Editable installs: ``top_level.txt`` names the source package folder
    (absolute), which is where mim and mmengine then find ``.mim``."""

    def run(self):
        super().run()
        if 'editable_wheel' in sys.argv[1:]:
            with open(osp.join(self.egg_info, 'top_level.txt'), 'w') as f:
                f.write(osp.join(ROOT, 'mmscalablevit') + '\n')


def read_requirements(name):
    with open(osp.join(ROOT, 'requirements', name)) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


if __name__ == '__main__':
    build_mim_folder()
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        long_description = f.read()
    setup(
        name='mmscalablevit',
        version=read_version(),
        description='Hierarchical vision transformer backbones (ScalableViT, '
        'ScopeViT) for OpenMMLab 3.x (mmdet, mmseg, mmpretrain)',
        long_description=long_description,
        long_description_content_type='text/markdown',
        url='https://github.com/mmscalablevit/mmscalablevit',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests*')),
        py_modules=['_mmscalablevit_startup'],
        include_package_data=True,
        package_data={'mmscalablevit': ['.mim/**/*']},
        install_requires=read_requirements('runtime.txt'),
        extras_require={
            'mim': read_requirements('mminstall.txt'),
            'tests': read_requirements('tests.txt'),
        },
        entry_points={
            'console_scripts': [
                'mmscalablevit-train=mmscalablevit.apis.train:cli',
                'mmscalablevit-test=mmscalablevit.apis.test:cli',
            ]
        },
        cmdclass={
            'build_py': build_py,
            'egg_info': egg_info
        },
        zip_safe=False)
