"""What can go wrong while finding or fetching a document.

Every error names the URL and the reason on one line, so it can go straight into a log line or the
`ingest_failures` table. The flow decides what to retry from the type alone: a plain `FetchError`
(connection trouble, a body cut short, retries used up) is worth another try later; the subclasses
say something about the answer itself.
"""

from __future__ import annotations

from enum import StrEnum


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


class FetchError(Exception):
    """A request that did not give a usable answer (connection error, timeout, cut-short body)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = _one_line(reason)
        super().__init__(f"{url or '<no url>'}: {self.reason}")


class ResponseTooSlow(FetchError):
    """A response that did not arrive whole within UNMIG_RESPONSE_SECONDS (a server dripping
    its body), after the retries: as transient as a dropped connection."""


class NoFileYet(FetchError):
    """No file for this record and language anywhere yet (no link, and ODS has none): the
    document is remembered and tried again on later runs."""


class Door(StrEnum):
    """The ways into the UN servers, named in `BlockedError` so an operator sees which one shut."""

    SEARCH = "search"  # the library's /search page (MARCXML with of=xm)
    FILES = "files"  # the library's files, /record/<id>/files/<name>
    ODS = "ods"  # the Official Document System, /api/symbol/access
    OAI = "oai"  # the library's OAI-PMH endpoint, /oai2d (ListRecords, marcxml)
    API = "api"  # the library's token API, /api/v1/search


class BlockedError(NoFileYet):
    """A door is shut: a bot challenge (HTTP 202, an `x-amzn-waf-action` header, a challenge page
    where XML or a PDF should be), a 403, or the host's robots.txt.

    It says nothing about the document, so for a download it means what `NoFileYet` means (try
    again on a later run, never "failed for good"); that is why it is a subclass.
    """

    def __init__(self, url: str, reason: str, *, door: Door | str) -> None:
        self.door = Door(door) if door in Door.__members__.values() else door
        self.why = _one_line(reason)
        super().__init__(url, f"{self.door} door shut: {self.why}")


class RobotsDisallowed(BlockedError):
    """The host's robots.txt disallows this path for us (UNMIG_IGNORE_ROBOTS overrides it)."""


class BadContent(FetchError):
    """The body is not what it claims to be (an HTML page where a PDF should be, and the like)."""


class TooLarge(FetchError):
    """The file is bigger than UNMIG_MAX_DOWNLOAD_MB (by Content-Length or while streaming)."""


class ForbiddenHost(FetchError):
    """A URL off the allowed hosts (UNMIG_ALLOWED_HOSTS plus the configured source and ODS)."""


class ForbiddenRedirect(ForbiddenHost):
    """A redirect to a host that is not allowed; it is not followed."""


class HttpError(FetchError):
    """An HTTP status that is not a success (after the retries for 429 and 5xx)."""

    def __init__(self, url: str, status: int, reason: str | None = None) -> None:
        self.status = status
        super().__init__(url, f"HTTP {status}" + (f" {reason}" if reason else ""))


class BadResponse(FetchError):
    """A search answer that cannot be read: not XML, malformed, or refused as unsafe XML."""
