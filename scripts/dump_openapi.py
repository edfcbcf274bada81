"""Print the OpenAPI schema of ``create_app`` as JSON (stable: sorted keys, no database).

``npm run gen:api`` in web/ turns it into ``web/src/api/schema.ts`` with openapi-typescript;
``npm run check:api`` regenerates and fails on any difference.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    from phantomnet.api import create_app
    from phantomnet.settings import Settings
    from phantomnet.storage.db import make_engine

    with tempfile.TemporaryDirectory() as tmp:
        # The engine is never connected: building the schema touches no database.
        engine = make_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'unused.db'}")
        app = create_app(Settings(data_dir=Path(tmp)), engine=engine)
        schema = app.openapi()
    schema["info"]["version"] = "0"  # the package version must not change the types
    json.dump(schema, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
