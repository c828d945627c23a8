"""databutler.adapters.formats."""
