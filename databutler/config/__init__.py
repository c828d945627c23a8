"""databutler.config."""
