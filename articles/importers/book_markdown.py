"""A book chapter as Markdown: the blocks book.py's tokens become, with callouts as admonitions.

Every line of the book's own text goes through plain_text.escape_line, so it renders as written.
"""

import html
import re

from articles.importers.plain_text import escape_line

EXERCISE_ITEM_RE = re.compile(r"^(?:[-•·*]\s*)?[（(]\s*([0-9]{1,3})\s*[)）]\s*(.*)$")
LIST_ITEM_RE = re.compile(r"^(?:[-•·]\s*)?(?:([\u2460-\u2473])\s*|([0-9]{1,2})\s+)\S")
LIST_ITEM_MARKDOWN_RE = re.compile(r"^[0-9]+\. ")


class BodyWriter:
    """Markdown blocks for a chapter, keeping track of the callout the paragraphs belong to.

    A callout holds the paragraphs after it until the next heading, figure, table or callout, or
    until a paragraph continues the numbered list that was running before the callout began:
    the text has no end marker, and that list is the book's own text resuming.
    """

    def __init__(self):
        self.blocks: list[str] = []
        self.callout: tuple[str, str] | None = None
        self.callout_blocks: list[str] = []
        self.list_number: int | None = None

    def heading(self, level: int, text: str) -> None:
        self.close_callout()
        self.list_number = None
        self.blocks.append("#" * level + " " + escape_line(text))

    def figure(self, caption: str) -> None:
        self.close_callout()
        self.blocks.append(f'<div class="media-placeholder media-figure">{html.escape(caption)}</div>')

    def table(self, rows: list[list[str]]) -> None:
        self.close_callout()
        width = max(len(row) for row in rows)
        cells = [[escape_line(cell) for cell in row] + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in cells[1:]]
        self.blocks.append("\n".join(lines))

    def open_callout(self, callout_type: str, title: str) -> None:
        self.close_callout()
        self.callout = (callout_type, title)

    def step(self, label: str, text: str) -> None:
        self.add(f"**{label}** {escape_line(text)}".rstrip())

    def text(self, line: str) -> None:
        item = LIST_ITEM_RE.match(line)
        item_number = None
        if item:
            item_number = ord(item.group(1)) - 0x245F if item.group(1) else int(item.group(2))
        if self.callout and item_number is not None and self.list_number is not None and item_number == self.list_number + 1:
            self.close_callout()
        if not self.callout and item_number is not None:
            self.list_number = item_number
        if self.callout and self.callout[0] == "exercise":
            exercise = EXERCISE_ITEM_RE.match(line)
            if exercise:
                self.add(f"{int(exercise.group(1))}. {escape_line(exercise.group(2))}", list_item=True)
                return
        self.add(escape_line(line))

    def add(self, block: str, list_item: bool = False) -> None:
        target = self.callout_blocks if self.callout else self.blocks
        # Consecutive exercise items form one tight list. Escaped text never starts with "1. ".
        if list_item and target and LIST_ITEM_MARKDOWN_RE.match(target[-1].rsplit("\n", 1)[-1]):
            target[-1] += "\n" + block
        else:
            target.append(block)

    def close_callout(self) -> None:
        if not self.callout:
            return
        callout_type, title = self.callout
        quoted_title = escape_line(title).replace('"', "&quot;")
        lines = [f'!!! {callout_type} "{quoted_title}"']
        for index, block in enumerate(self.callout_blocks):
            if index:
                lines.append("")
            lines.extend("    " + line for line in block.split("\n"))
        self.blocks.append("\n".join(lines))
        self.callout = None
        self.callout_blocks = []

    def markdown(self) -> str:
        self.close_callout()
        return "\n\n".join(self.blocks)
