"""databutler."""
