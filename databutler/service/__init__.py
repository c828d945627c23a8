"""databutler.service."""
