"""Vietnamese text handling (standard library only; imported by the Rasa venv too)."""

from bot.text.normalize import fold, has_diacritics, normalize, syllables

__all__ = ["fold", "has_diacritics", "normalize", "syllables"]
