"""Rasa graph component: applies ``bot.nlu.arbitration`` to the classifier's intent.

Placed after the intent classifier and the entity extractors, before the
FallbackClassifier. When the arbitration changes the intent, or a rule confirms it (a
request for a person, an improper request), it is put first with confidence 1.0 (the
classifier's ranking follows, scaled down) so the fallback does not override it; the reason is
kept in the parse data (``arbitration``) for tracker analysis. An improper request also
carries its kind as the ``improper_kind`` entity, which picks the refusal.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.arbitration import arbitrate

CODE_ENTITY = "application_code"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentArbiter(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "IntentArbiter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._arbitrate(message)
        return messages

    @staticmethod
    def _arbitrate(message: Message) -> None:
        text = message.get(TEXT) or ""
        intent = message.get(INTENT) or {}
        name = intent.get("name")
        if not text or not name:
            return
        entities = list(message.get(ENTITIES) or [])
        has_code = any(e.get("entity") == CODE_ENTITY for e in entities)
        decision = arbitrate(text, name, has_code)
        message.set("arbitration", decision.reason, add_to_output=True)
        if decision.improper_kind:
            entities.append(
                {
                    "entity": "improper_kind",
                    "value": decision.improper_kind,
                    "start": 0,
                    "end": len(text),
                    "extractor": "IntentArbiter",
                }
            )
            message.set(ENTITIES, entities, add_to_output=True)
        if not (decision.changed or decision.sure):
            return
        ranking = [
            {"name": r["name"], "confidence": float(r["confidence"]) * 0.5}
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get("name") != decision.intent
        ]
        message.set(INTENT, {"name": decision.intent, "confidence": 1.0}, add_to_output=True)
        message.set(
            INTENT_RANKING_KEY,
            [{"name": decision.intent, "confidence": 1.0}, *ranking],
            add_to_output=True,
        )
