"""databutler.adapters.sql."""
