"""One fix to Rasa 3.6's hot path, installed by ``bot.rasa_entry`` before Rasa starts.

Rasa validates every action server response with ``jsonschema.validate``, which first
checks the *schema* against its metaschema — on every call (about 60 % of Rasa's CPU under
load, issue 12). The response schema is a constant: its validator is built once here.
``tests/rasa`` fails when Rasa's method no longer looks the way this replacement assumes.
Runs in Rasa's venv (Python 3.10).
"""

from __future__ import annotations

from typing import Any

ORIGINAL_SOURCE_LINE = "validate(result, self.action_response_format_spec())"


def install() -> None:
    """Replace ``RemoteAction._validate_action_result`` with a cached-validator version."""
    import jsonschema
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_cached_validator", False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)(schema)
    jsonschema.validators.validator_for(schema).check_schema(schema)  # once, not per call

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except jsonschema.ValidationError as e:  # the message Rasa's own version gives
            e.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                "For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    _validate_action_result._cached_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result
