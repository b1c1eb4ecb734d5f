"""Application status: look up an application (hồ sơ) by its code, explain it, notify."""
