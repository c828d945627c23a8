"""``python -m databutler``: the command line."""

from .cli.main import main

main()
