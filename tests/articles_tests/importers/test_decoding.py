import pytest

from articles.importers import DocumentError, decode_document, parse_document
from articles.importers.decoding import MAX_DOCUMENT_BYTES

from .helpers import BOOK_SEED, STUDY_LIST_SEED, seed

CHINESE = "第 1 章 开篇\r\n\r\n人工智能正在改变视频创作的方式，这是一段普通的中文文字。\r\n"


def test_utf8_is_decoded_with_newlines_normalized():
    assert decode_document(CHINESE.encode("utf-8"), "a.txt") == CHINESE.replace("\r\n", "\n")


def test_utf8_with_bom_loses_the_bom():
    assert decode_document(b"\xef\xbb\xbf" + "# 标题\r正文".encode(), "a.md") == "# 标题\n正文"


def test_gbk_text_from_chinese_windows_is_accepted():
    text = seed(BOOK_SEED)[:3000].replace("▶", "").replace("◀", "")
    assert decode_document(text.encode("gbk"), "book.txt") == text


def test_gb18030_characters_outside_gbk_are_accepted():
    text = "𠀀 这是扩展区的字，仍然是中文文本。" * 3
    assert decode_document(text.encode("gb18030"), "a.txt") == text


def test_utf16_with_bom_is_accepted():
    assert decode_document("# 标题\r\n正文".encode("utf-16"), "a.md") == "# 标题\n正文"


def test_a_decoded_gbk_document_parses_like_the_utf8_one():
    text = seed(STUDY_LIST_SEED)
    decoded = decode_document(text.encode("gb18030"), STUDY_LIST_SEED)
    assert parse_document(decoded) == parse_document(text)


@pytest.mark.parametrize("data", [b"", b"   \n\n"])
def test_an_empty_file_is_refused_with_its_name(data):
    with pytest.raises(DocumentError, match="^空.txt：文件是空的$"):
        decode_document(data, "空.txt")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG 图片"),
        (b"%PDF-1.7\n" + bytes(100), "PDF 文件"),
        (b"PK\x03\x04" + bytes(100), "ZIP 压缩包"),
    ],
)
def test_known_binary_formats_are_named(data, kind):
    with pytest.raises(DocumentError, match=f"^x.txt：这是{kind}"):
        decode_document(data, "x.txt")


def test_bytes_with_nul_are_binary():
    with pytest.raises(DocumentError, match="^x.txt：文件含有二进制内容"):
        decode_document("正文".encode() + b"\x00\x01\x02" + bytes(range(256)), "x.txt")


def test_many_control_bytes_are_binary():
    with pytest.raises(DocumentError, match="二进制"):
        decode_document(b"abc\x01\x02\x03\x04\x05def" * 10, "x.txt")


@pytest.mark.parametrize(
    "data",
    [
        "Café, résumé, naïve à la carte.".encode("latin-1"),
        bytes(range(0x80, 0x100)) * 4,
        "這是繁體中文的 Big5 編碼文字，通常不是我們要的格式。".encode("big5") * 3,
    ],
)
def test_text_in_other_encodings_is_refused_with_its_name(data):
    with pytest.raises(DocumentError, match="^book.txt：文件不是 UTF-8 或 GB18030 编码的文本$"):
        decode_document(data, "book.txt")


def test_an_oversized_file_is_refused_stating_the_limit():
    with pytest.raises(DocumentError, match="^big.md：文件有 5.1 MB，超过了单个文档 5 MB 的上限$"):
        decode_document(b"a" * (MAX_DOCUMENT_BYTES + 1), "big.md")


def test_the_size_limit_can_be_set_per_call():
    with pytest.raises(DocumentError, match="1 KB 的上限"):
        decode_document(b"a" * 2000, "a.md", max_bytes=1024)
