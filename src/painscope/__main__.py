"""``python -m painscope``: the same as the ``painscope`` command."""

from painscope.cli import main

main()
