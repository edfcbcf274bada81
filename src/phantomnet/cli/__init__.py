"""The ``phantomnet`` command."""
