"""The what-if workbench: a local web page over the engine, with a run history.

Needs the ``web`` extra (``pip install "detente[web]"``). Start it with ``detente serve``.
"""
