"""databutler.cli."""
