"""The console front end: a terminal chat and a renderer of replies as rich text."""
