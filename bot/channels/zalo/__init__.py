"""Zalo Official Account: a small requests-based client (no SDK) and the webhook."""
