"""databutler.testing."""
