"""Install mmscalablevit.

Besides the Python package, installs ship ``configs/``, ``tools/`` and
``model-index.yml`` under ``mmscalablevit/.mim`` (the OpenMMLab convention;
``_base_ = ['mmscalablevit::scalablevit/<config>.py']`` reads them from there
in a wheel install, see ``mmscalablevit/utils/environment.py``). Editable
installs (``pip install -e .``: setuptools' ``editable_wheel``, or the legacy
``develop``) link to the sources; wheels and sdists copy them.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM = osp.join(ROOT, 'mmscalablevit', '.mim')


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
        description='ScalableViT backbone for OpenMMLab 3.x (mmdet, mmseg, '
        'mmpretrain)',
        long_description=long_description,
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.8',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
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
        zip_safe=False)
