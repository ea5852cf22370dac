"""`python -m replayport` → the CLI."""

from replayport.cli import main

main()
