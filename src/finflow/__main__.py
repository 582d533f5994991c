"""``python -m finflow`` runs the command line."""
from finflow.cli import main

main(prog_name="finflow")
