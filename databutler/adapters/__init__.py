"""databutler.adapters."""
