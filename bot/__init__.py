"""Vietnamese digital public-services assistant.

Keep this package import-light: the Rasa venv (Python 3.10) imports ``bot.text`` and
``bot.nlu`` from here without the 3.11 stack.
"""
