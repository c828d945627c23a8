"""``python -m databutler_example_pipeline REPO``: make the demo input repository."""

from .demo_repo import main

main()
