import io
import zipfile

import pytest

from articles.importers import ArchiveLimits, ArchiveMember, DocumentError, read_archive
from articles.importers.archive import inflate

from .helpers import build_zip

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_document_with_its_image_folder_is_read():
    data = zip_of({"笔记/文章.md": "# 标题".encode(), "笔记/img/a.png": PNG, "笔记/img/": b""})
    assert read_archive(data) == [
        ArchiveMember(path="笔记/文章.md", kind="document", data="# 标题".encode()),
        ArchiveMember(path="笔记/img/a.png", kind="image", data=PNG),
    ]


def test_several_documents_and_windows_separators_are_normalized():
    data = build_zip(
        [
            {"name": b"a.txt", "data": b"one"},
            {"name": b"sub\\b.MARKDOWN", "data": b"two"},
            {"name": b"./img/c.JPEG", "data": b"three"},
        ]
    )
    assert [(member.path, member.kind) for member in read_archive(data)] == [
        ("a.txt", "document"),
        ("sub/b.MARKDOWN", "document"),
        ("img/c.JPEG", "image"),
    ]


def test_mac_resource_forks_dotfiles_and_other_files_are_left_out():
    data = zip_of(
        {
            "__MACOSX/._a.md": b"x",
            ".DS_Store": b"x",
            "img/.hidden.png": PNG,
            "a.docx": b"x",
            "a.md": b"ok",
        }
    )
    assert [member.path for member in read_archive(data)] == ["a.md"]


def test_gbk_member_names_from_chinese_windows_are_recovered():
    data = build_zip([{"name": "资料/文章.md".encode("gbk"), "data": b"x"}])
    assert read_archive(data)[0].path == "资料/文章.md"


def test_utf8_member_names_without_the_utf8_flag_are_recovered():
    data = build_zip([{"name": "图片/图一.png".encode(), "data": PNG}])
    assert read_archive(data)[0].path == "图片/图一.png"


@pytest.mark.parametrize("name", [b"../x.md", b"a/../../x.md", b"/etc/passwd", b"C:\\x.md", b"c:/x.md", b"..\\x.md"])
def test_paths_leaving_the_upload_reject_the_archive_naming_it(name):
    with pytest.raises(DocumentError, match="^upload.zip：压缩包里的「.*」路径指向压缩包之外"):
        read_archive(build_zip([{"name": name, "data": b"x"}]), filename="upload.zip")


def test_a_symlink_member_rejects_the_archive():
    data = build_zip([{"name": b"a.md", "data": b"/etc/passwd", "symlink": True}])
    with pytest.raises(DocumentError, match="「a.md」是符号链接"):
        read_archive(data, filename="upload.zip")


def test_a_member_inflating_past_its_declared_limit_is_refused_before_reading():
    bomb = build_zip([{"name": b"bomb.md", "data": bytes(3 * 1024 * 1024)}])
    assert len(bomb) < 10_000
    with pytest.raises(DocumentError, match="^upload.zip：压缩包里的「bomb.md」解压后超过 1 MB 的上限$"):
        read_archive(bomb, filename="upload.zip", limits=ArchiveLimits(member_bytes=1024 * 1024))


def test_a_bomb_that_understates_its_size_is_refused():
    bomb = build_zip([{"name": b"bomb.md", "data": bytes(3 * 1024 * 1024), "declared_size": 100}])
    with pytest.raises(DocumentError, match="^upload.zip：压缩包里的「bomb.md」已损坏"):
        read_archive(bomb, filename="upload.zip", limits=ArchiveLimits(member_bytes=1024 * 1024))


def test_inflating_stops_as_soon_as_the_real_bytes_pass_the_budget():
    data = build_zip([{"name": b"big.md", "data": bytes(1024 * 1024)}])
    archive = zipfile.ZipFile(io.BytesIO(data))
    with pytest.raises(DocumentError, match="总大小超过"):
        inflate(archive, archive.infolist()[0], 1000, path="big.md", filename="upload.zip", limits=ArchiveLimits())


def test_the_total_inflated_size_is_bounded():
    data = zip_of({f"{index}.md": bytes(600 * 1024) for index in range(3)})
    with pytest.raises(DocumentError, match="总大小超过 1 MB 的上限"):
        read_archive(data, filename="upload.zip", limits=ArchiveLimits(total_bytes=1024 * 1024))


def test_too_many_members_reject_the_archive():
    data = zip_of({f"{index}.md": b"x" for index in range(11)})
    with pytest.raises(DocumentError, match="^upload.zip：压缩包里有 11 个文件，超过了 10 个的上限$"):
        read_archive(data, filename="upload.zip", limits=ArchiveLimits(members=10))


def test_a_file_that_is_not_a_zip_is_refused():
    with pytest.raises(DocumentError, match="^upload.zip：不是有效的 ZIP 压缩包$"):
        read_archive(b"not a zip at all", filename="upload.zip")


def test_a_corrupt_member_is_refused_naming_it():
    text = "".join(f"第{index}行，内容各不相同。\n" for index in range(2000)).encode()
    data = bytearray(build_zip([{"name": b"a.md", "data": text}]))
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    with pytest.raises(DocumentError, match="「a.md」已损坏"):
        read_archive(bytes(data), filename="upload.zip")


def test_two_members_with_the_same_normalized_path_are_refused():
    data = build_zip([{"name": b"img/a.png", "data": PNG}, {"name": b"img\\a.png", "data": PNG}])
    with pytest.raises(DocumentError, match="两个文件都叫「img/a.png」"):
        read_archive(data, filename="upload.zip")
