"""The documents and images inside an uploaded ZIP, read defensively.

A ZIP is someone else's file system: names may climb out of the upload folder ("../x.md",
"/etc/passwd", "C:\\x.md"), members may be symlinks, and a few kilobytes may inflate to
gigabytes. Any of these rejects the whole archive; the sizes are checked as declared and again
while inflating, since the declared sizes are just numbers in the file.
"""

import io
import lzma
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass

from articles.importers.base import DocumentError
from articles.importers.decoding import format_size

MAX_ARCHIVE_MEMBERS = 1000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 100 * 1024 * 1024
READ_CHUNK_BYTES = 64 * 1024

DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
UTF8_NAMES_FLAG = 0x800
ENCRYPTED_FLAG = 0x1
WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")
CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
INFLATE_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class ArchiveLimits:
    members: int = MAX_ARCHIVE_MEMBERS
    member_bytes: int = MAX_MEMBER_BYTES
    total_bytes: int = MAX_TOTAL_BYTES


@dataclass(frozen=True)
class ArchiveMember:
    path: str  # relative, forward slashes, as documents refer to it ("img/a.png")
    kind: str  # "document" or "image"
    data: bytes


def read_archive(data: bytes, *, filename: str = "压缩包", limits: ArchiveLimits = ArchiveLimits()) -> list[ArchiveMember]:
    """Documents (.md, .markdown, .txt) and images in the archive; other files are left out."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, EOFError):
        raise DocumentError(filename, "不是有效的 ZIP 压缩包") from None
    infos = archive.infolist()
    if len(infos) > limits.members:
        raise DocumentError(filename, f"压缩包里有 {len(infos)} 个文件，超过了 {limits.members} 个的上限")

    members: list[ArchiveMember] = []
    total = 0
    for info in infos:
        name = member_name(info)
        path = safe_relative_path(name, filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise DocumentError(filename, f"压缩包里的「{name}」是符号链接，不能导入")
        kind = member_kind(path)
        if info.is_dir() or kind is None or is_ignored(path):
            continue
        if info.flag_bits & ENCRYPTED_FLAG:
            raise DocumentError(filename, f"压缩包里的「{path}」有密码保护，无法读取")
        if any(member.path == path for member in members):
            raise DocumentError(filename, f"压缩包里有两个文件都叫「{path}」")
        budget = min(limits.member_bytes, limits.total_bytes - total)
        if info.file_size > budget:
            raise DocumentError(filename, too_large(path, info.file_size, limits))
        content = inflate(archive, info, budget, path=path, filename=filename, limits=limits)
        total += len(content)
        members.append(ArchiveMember(path=path, kind=kind, data=content))
    return members


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author typed it.

    Without the UTF-8 flag, zipfile reads names as cp437. Chinese Windows writes them in GBK, and
    some tools write UTF-8 without setting the flag; either is recovered from the original bytes.
    """
    if info.flag_bits & UTF8_NAMES_FLAG:
        return info.filename
    raw = info.filename.encode("cp437")
    if raw.isascii():
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            decoded = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if CJK_RE.search(decoded):
            return decoded
    return info.filename


def safe_relative_path(name: str, filename: str) -> str:
    """The member's path with forward slashes, or DocumentError if it points outside the upload."""
    path = name.replace("\\", "/")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.startswith("/") or WINDOWS_DRIVE_RE.match(path) or ".." in parts:
        raise DocumentError(filename, f"压缩包里的「{name}」路径指向压缩包之外（绝对路径或含有 ..），不能导入")
    return "/".join(parts)


def member_kind(path: str) -> str | None:
    lowered = path.lower()
    if lowered.endswith(DOCUMENT_SUFFIXES):
        return "document"
    if lowered.endswith(IMAGE_SUFFIXES):
        return "image"
    return None


def is_ignored(path: str) -> bool:
    """macOS resource forks and hidden files: never part of what the author meant to send."""
    parts = path.split("/")
    return parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts)


def inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, *, path: str, filename: str, limits: ArchiveLimits) -> bytes:
    """The member's bytes, stopping as soon as they exceed the budget whatever the header claimed.

    zipfile itself stops at the declared size and then fails the CRC check; counting here keeps the
    bound independent of that detail.
    """
    chunks = []
    size = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > budget:
                    raise DocumentError(filename, too_large(path, size, limits))
                chunks.append(chunk)
    except INFLATE_ERRORS:
        raise DocumentError(filename, f"压缩包里的「{path}」已损坏，无法解压") from None
    return b"".join(chunks)


def too_large(path: str, size: int, limits: ArchiveLimits) -> str:
    if size > limits.member_bytes:
        return f"压缩包里的「{path}」解压后超过 {format_size(limits.member_bytes)} 的上限"
    return f"压缩包解压后的总大小超过 {format_size(limits.total_bytes)} 的上限"
