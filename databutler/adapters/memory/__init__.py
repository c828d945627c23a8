"""databutler.adapters.memory."""
