"""CLI subcommands, one module per job; each registers on ``painscope.cli.app``."""
