"""``python -m phantomnet`` runs the CLI."""

from phantomnet.cli.main import main

main()
