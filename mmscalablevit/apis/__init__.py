"""Entry points of ``tools/train.py`` / ``tools/test.py`` and the console
scripts ``mmscalablevit-train`` / ``mmscalablevit-test``."""
