"""Quality measured on what residents get: questions through the running stack."""
