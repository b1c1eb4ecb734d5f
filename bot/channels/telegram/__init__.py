"""Telegram (python-telegram-bot): long polling by default, webhook with a secret token."""
