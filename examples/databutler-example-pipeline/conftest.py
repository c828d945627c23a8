"""The example's tests run against the source beside them, even where another checkout of it is installed."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "src"))
