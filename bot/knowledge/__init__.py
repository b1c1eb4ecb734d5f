"""The knowledge base: editors' Markdown articles, hybrid Vietnamese search, answers."""
