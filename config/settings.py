"""Settings from the environment (`UNMIG_*`), validated once at start.

Every setting, its default and its meaning is listed in README.md; keep the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Why each is here: docs/sources.md, "What is relevant".
DEFAULT_SUBJECTS = (
    # UNBIS terms seen in real records.
    "MIGRANTS",
    "MIGRANT WORKERS",
    "MIGRATION POLICY",
    "WOMEN MIGRANTS",
    "WOMEN MIGRANT WORKERS",
    # Not seen in any real record read so far; kept until a real answer settles them (an
    # unmatched term costs a few bytes of query, a missed document costs a document).
    "INTERNATIONAL MIGRATION",
    "MIGRATION",
    "REMITTANCES",
    "BRAIN DRAIN",
    "LABOUR MIGRATION",
)
# Titles of the General Assembly's agenda items (991 $c) on the subject.
DEFAULT_AGENDA = ("international migration and development",)
DEFAULT_BODY_QUERY = '981__a:"General Assembly"'
DEFAULT_ALLOWED_HOSTS = (
    "digitallibrary.un.org",
    "documents.un.org",
    "docs.un.org",
    "undocs.org",
    "daccess-ods.un.org",
    "documents-dds-ny.un.org",
)
OFFICIAL_LANGUAGES = {"ar", "zh", "en", "fr", "ru", "es"}
DISCOVERY_MODES = ("auto", "oai", "api", "search")
FILE_FORMATS = ("pdf", "docx")


class ConfigError(Exception):
    """A setting with a bad value; the message is one line naming the variable."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UNMIG_", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Folder for the SQLite file and raw files.")
    database_url: str = Field(
        "", description="SQLAlchemy URL; default: SQLite at {data_dir}/unmig.db."
    )
    file_store: Path | None = Field(
        None, description="Content-addressed raw-file store; default {data_dir}/files."
    )
    source: str = Field(
        "https://digitallibrary.un.org",
        description="UN Digital Library base URL, or a local archive folder.",
    )
    ods_url: str = Field(
        "https://documents.un.org",
        description="Official Document System, the fallback for records with no file link.",
    )
    languages: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["en"])
    subjects: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_SUBJECTS)
    )
    agenda: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_AGENDA),
        description="Agenda-item titles (991 $c) that make a record relevant.",
    )
    body_query: str = Field(
        DEFAULT_BODY_QUERY,
        description="Search clause selecting the General Assembly ({body}); empty: none.",
    )
    include_hrc: bool = Field(False, description="Also Human Rights Council documents (A/HRC/).")
    include_conferences: bool = Field(
        False, description="Also United Nations conference documents (A/CONF.)."
    )
    query: str = Field(
        "",
        description="Search expression replacing the built-in subject query "
        "({subjects} is filled in).",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS)
    )
    contact: str = Field("unmig-operators@example.org", description="Put in the User-Agent.")
    rate_limit: float = Field(1.0, gt=0, description="Requests per second to one host.")
    ignore_robots: bool = Field(
        False,
        description="Do not read robots.txt (its Disallow and Crawl-delay); only with the "
        "site's permission.",
    )
    crawl_delay: float | None = Field(
        None,
        ge=0,
        le=3600,
        description="Seconds between requests to one host, replacing robots.txt's Crawl-delay "
        "(the rate limit still applies).",
    )
    timeout: float = Field(30.0, gt=0, description="Seconds per HTTP read (and connect).")
    response_seconds: float = Field(
        300.0, gt=0,
        description="Seconds one whole response (a search page, a file) may take to arrive; "
        "a slower one is cut and tried again.",
    )
    retries: int = Field(5, ge=0, le=20)
    max_download_mb: float = Field(100.0, gt=0)
    page_size: int = Field(100, ge=1, le=200)
    discovery_max_records: int = Field(
        20_000, ge=1,
        description="Records one search may page through, unless the first total reported "
        "is larger; past it paging stops and the run ends partial.",
    )
    discovery_seconds: float = Field(
        3600.0, gt=0,
        description="Wall-clock seconds a run's searches may page for, all its windows "
        "together; past it paging stops and the run ends partial.",
    )
    concurrency: int = Field(4, ge=1, le=64, description="Documents processed at once.")
    task_retries: int = Field(2, ge=0, le=10, description="Retries of one document's task.")
    task_retry_delay: float = Field(
        30.0, ge=0, description="Seconds before a document's first retry (doubling after)."
    )
    http_backoff: float = Field(1.0, ge=0, description="Backoff factor of HTTP retries.")
    discovery: str = Field(
        "auto",
        description="Which door finds new records: auto (OAI-PMH, then the API if a token is "
        "set, then the search page), oai, api or search.",
    )
    discovery_overlap_days: int = Field(
        3,
        ge=0,
        le=365,
        description="Days before the stored discovery watermark (the library's own time stamp) "
        "the next run starts from.",
    )
    undl_api_token: SecretStr | None = Field(
        None, description="Token for the library's API (/api/v1/search); never logged."
    )
    api_rate_limit: float = Field(
        100 / 300,
        gt=0,
        description="Requests per second to the library's API (it allows 100 per 5 minutes).",
    )
    formats: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["pdf"],
        description="File formats to fetch, in order of preference: pdf, docx.",
    )
    parse_workers: int = Field(
        2, ge=0, le=64, description="Parser processes; 0 parses in the flow's own process."
    )
    parse_timeout: float = Field(300.0, gt=0, description="Seconds one document may parse.")
    parse_memory_mb: int = Field(2048, ge=128)
    heartbeat_seconds: float = Field(
        30.0, gt=0, le=3600,
        description="Seconds between a run's heartbeats; a running run silent for four of "
                    "them is closed as abandoned by the next run.",
    )
    fanout: Literal["auto", "off"] = Field(
        "auto",
        description="Backfill and reprocess chunks as flow runs on the work pool's workers "
        "(auto: when a Prefect server has the chunk deployment and a worker online); off: "
        "in the run's own process.",
    )
    reprocess_batch: int = Field(
        200, ge=1, le=100_000, description="Stale versions per chunk of a reprocess on workers."
    )

    _split = field_validator("languages", "subjects", "agenda", "allowed_hosts", "formats",
                             mode="before")(
        lambda cls, v: _split_csv(v)
    )

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, v: list[str]) -> list[str]:
        v = [x.lower() for x in v]
        bad = [x for x in v if x not in OFFICIAL_LANGUAGES]
        if bad or not v:
            raise ValueError(f"must be among {sorted(OFFICIAL_LANGUAGES)}, got {v}")
        return v

    @field_validator("discovery")
    @classmethod
    def _known_discovery(cls, v: str) -> str:
        v = v.strip().lower()
        if v not in DISCOVERY_MODES:
            raise ValueError(f"must be one of {', '.join(DISCOVERY_MODES)}, got {v!r}")
        return v

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, v: list[str]) -> list[str]:
        v = list(dict.fromkeys(x.lower().lstrip(".") for x in v))
        bad = [x for x in v if x not in FILE_FORMATS]
        if bad or not v:
            raise ValueError(f"must be among {list(FILE_FORMATS)}, got {v}")
        return v

    @field_validator("source", "ods_url")
    @classmethod
    def _url_or_folder(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme in ("http", "https"):
            if not parts.netloc:
                raise ValueError(f"URL has no host: {v!r}")
            return v.rstrip("/")
        if parts.scheme and len(parts.scheme) > 1:
            raise ValueError(f"must be an http(s) URL or a folder, got {v!r}")
        return v

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'unmig.db').as_posix()}"
        if self.file_store is None:
            self.file_store = self.data_dir / "files"
        return self

    @property
    def source_is_remote(self) -> bool:
        return urlsplit(self.source).scheme in ("http", "https")

    @property
    def max_download_bytes(self) -> int:
        return int(self.max_download_mb * 1024 * 1024)

    @property
    def user_agent(self) -> str:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("unmig")
        except PackageNotFoundError:
            v = "dev"
        return f"unmig/{v} (UN migration documents ingest; +mailto:{self.contact})"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; a bad value raises ConfigError with one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "UNMIG_" + str(err["loc"][0]).upper() if err.get("loc") else "settings"
        raise ConfigError(f"invalid {name}: {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
