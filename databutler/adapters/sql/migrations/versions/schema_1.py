"""Schema version 1: the registry as databutler created it before migrations existed (the base)."""

revision = "1"
down_revision = None


def upgrade() -> None:
    """Nothing to do: a version-1 registry was created whole, and is stamped from its ``meta``."""


def downgrade() -> None:
    """Nothing to undo below the base."""
