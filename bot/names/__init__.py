"""Candidate name resolution: who a recruiter means by "who is X?", among the candidates they may see."""

from bot.names.decide import Decision, Resolution, decide, resolve
from bot.names.index import Hit, NameIndex, NameRecord
from bot.names.normalize import normalize_name

__all__ = ["Decision", "Hit", "NameIndex", "NameRecord", "Resolution", "decide", "normalize_name", "resolve"]
