"""`python -m bot` runs the hirebot CLI."""

from bot.cli import main

main()
