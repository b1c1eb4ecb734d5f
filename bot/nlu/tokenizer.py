"""A Rasa 3.6 tokenizer that applies the project's Vietnamese normaliser.

Tokens carry the folded, abbreviation-expanded form ("ko đc" -> "khong", "duoc") so that
accented, unaccented and teencode messages produce the same features. Token offsets
point into the *original* text, and the message text itself is left untouched, so the
tracker, the actions and regex-based extractors (application codes) see what the
resident typed.

Runs in the Rasa venv (Python 3.10); ``bot.text`` is stdlib-only for that reason.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.text import fold

_CHUNK = re.compile(r"\S+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer over ``bot.text.fold`` of each chunk of the user text."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config)

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        if attribute != TEXT:
            return super().tokenize(message, attribute)
        text = message.get(attribute) or ""
        tokens: List[Token] = []
        for chunk in _CHUNK.finditer(text):
            # One chunk may expand to several tokens ("cccd" -> "can cuoc cong dan");
            # they share the chunk's offsets in the original text.
            for word in fold(chunk.group()).split():
                tokens.append(Token(word, chunk.start(), chunk.end()))
        if not tokens:
            # Rasa expects at least one token; keep the raw text (e.g. only emoji).
            tokens = [Token(text or " ", 0, len(text))]
        return self._apply_token_pattern(tokens)
