"""databutler.adapters.posix."""
