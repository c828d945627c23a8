"""Use cases over the ports: the Butler and its collection, ingest and removal operations."""

from .butler import Butler
from .file_dataset import FileDataset
from .loader import repository_loader, use_repository_loader

__all__ = ["Butler", "FileDataset", "repository_loader", "use_repository_loader"]
