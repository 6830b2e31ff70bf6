"""What an import did (or, in a dry run, would do), per file and per article: plain data that admin
pages, the command line and the background task's records all show."""

import dataclasses
from dataclasses import dataclass, field


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    KEPT_EDITED = "kept_edited"

    ALL = (CREATE, UPDATE, UNCHANGED, KEPT_EDITED)


@dataclass
class ArticleOutcome:
    title: str
    action: str
    section: str
    access: str
    characters: int
    full_text_missing: bool
    images_found: int
    images_missing: tuple[str, ...]
    url: str = ""
    draft: bool = False
    published_on: str = ""  # the publication date the article has (or, in a dry run, would get), ISO


@dataclass
class FileReport:
    filename: str
    format: str = ""
    column_title: str = ""
    column_action: str = ""
    column_url: str = ""
    sections_created: list[str] = field(default_factory=list)
    articles: list[ArticleOutcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Articles imported earlier from the same source that this document no longer lists: they stay.
    not_listed: list[str] = field(default_factory=list)
    # Lines left out as a download site's boilerplate.
    dropped_lines: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def count(self, action: str) -> int:
        return sum(1 for article in self.articles if article.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {action: self.count(action) for action in Action.ALL}

    def as_data(self) -> dict:
        return {**dataclasses.asdict(self), "summary": self.summary, "ok": self.ok}


@dataclass
class ImportReport:
    dry_run: bool
    files: list[FileReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(report.ok for report in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if not report.ok]

    def as_data(self) -> dict:
        return {"dry_run": self.dry_run, "ok": self.ok, "files": [file.as_data() for file in self.files]}
