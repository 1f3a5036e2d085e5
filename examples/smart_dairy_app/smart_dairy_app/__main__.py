"""``python -m smart_dairy_app --port 8000 (--dsn DSN | --no-db)``: run the web service."""

from __future__ import annotations

import sys

from smart_dairy_app.server import main

if __name__ == "__main__":
    sys.exit(main())
