"""Uploaded bytes to text: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030, else a clear error.

GB18030 is a superset of GBK and GB2312, what Chinese Windows saves "ANSI" text in. It also
decodes a good deal of byte soup without complaint, so a GB18030 reading is only accepted
when it reads like Chinese text (see looks_like_text).
"""

import math
import re

from articles.importers.base import DocumentError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

# Files people upload by mistake, named so the editor knows what went wrong.
MAGIC_NUMBERS = (
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"%PDF-", "PDF 文件"),
    (b"PK\x03\x04", "ZIP 压缩包（或 Word、Excel 文档）"),
    (b"PK\x05\x06", "ZIP 压缩包"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文档"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩文件"),
    (b"{\\rtf", "RTF 文档"),
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Text has tabs, newlines and little else below 0x20; more than this share of control bytes is binary.
MAX_CONTROL_BYTE_SHARE = 0.01
CONTROL_BYTES = bytes(byte for byte in range(32) if byte not in (9, 10, 12, 13)) + b"\x7f"
# GB2312 level 1 holds the 3,755 most used characters, about 99% of running Chinese text. Byte
# soup decoded as GB18030 lands mostly on rare characters and private-use code points.
GB2312_LEVEL1_LEADS = range(0xB0, 0xD8)
MIN_COMMON_HANZI_SHARE = 0.5
MAX_ODD_CHAR_SHARE = 0.02
HANZI_SAMPLE = 20_000
HANZI_RE = re.compile(r"[\u3400-\u9fff]")
ODD_CHAR_RE = re.compile(r"[\ue000-\uf8ff\U000f0000-\U0010ffff\x80-\x9f\ufffd]")


def decode_document(data: bytes, filename: str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> str:
    """The text of an uploaded document with \\n newlines, or a DocumentError naming the file."""
    if len(data) > max_bytes:
        raise DocumentError(filename, f"文件有 {format_size(len(data))}，超过了单个文档 {format_size(max_bytes)} 的上限")
    if not data.strip():
        raise DocumentError(filename, "文件是空的")
    for magic, kind in MAGIC_NUMBERS:
        if data.startswith(magic):
            raise DocumentError(filename, f"这是{kind}，不是文本文档；请上传 .md 或 .txt 文件")
    if data.startswith(UTF16_BOMS):
        try:
            return normalize_newlines(data.decode("utf-16"))
        except UnicodeDecodeError:
            raise DocumentError(filename, "文件声明为 UTF-16 编码，但内容无法按 UTF-16 读取") from None
    if b"\x00" in data or control_byte_share(data) > MAX_CONTROL_BYTE_SHARE:
        raise DocumentError(filename, "文件含有二进制内容，不是文本文档")
    try:
        return normalize_newlines(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is None or not looks_like_text(text):
        raise DocumentError(filename, "文件不是 UTF-8 或 GB18030 编码的文本")
    return normalize_newlines(text)


def normalize_newlines(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def control_byte_share(data: bytes) -> float:
    return (len(data) - len(data.translate(None, CONTROL_BYTES))) / len(data)


def looks_like_text(text: str) -> bool:
    """Whether a GB18030 reading is plausible Chinese text rather than decoded noise."""
    if len(ODD_CHAR_RE.findall(text)) > MAX_ODD_CHAR_SHARE * len(text):
        return False
    hanzi = HANZI_RE.findall(text)[:HANZI_SAMPLE]
    if not hanzi:
        return True
    common = sum(1 for char in hanzi if is_common_hanzi(char))
    return common >= MIN_COMMON_HANZI_SHARE * len(hanzi)


def is_common_hanzi(char: str) -> bool:
    try:
        return char.encode("gb2312")[0] in GB2312_LEVEL1_LEADS
    except UnicodeEncodeError:
        return False


def format_size(size: int) -> str:
    """Sizes for messages, rounded up ("5.1 MB", "12 KB"): a file just over a limit never shows the limit itself."""
    if size >= 1024 * 1024:
        tenths = math.ceil(size * 10 / (1024 * 1024))
        return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"
    return f"{math.ceil(size / 1024)} KB"
