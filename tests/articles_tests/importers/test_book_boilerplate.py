"""Which lines are a download site's and which are the book's (articles/importers/boilerplate.py)."""

import pytest

from articles.importers.boilerplate import is_site_ad, is_site_wrapping, strip_boilerplate


@pytest.mark.parametrize(
    "line",
    [
        "更多精校小说尽在知轩藏书下载：http://www.zxcs.me/",
        "本书来自www.cr173.com免费txt小说下载站",
        "【更多精彩好书，更多原创手机电子书，请登陆奇书网--Www.Qisuu.Com】",
        "最有文艺气息的文学网站",
        "本作品来自互联网,本人不做任何负责 内容版权归作者所有!",
        "用户上传之内容开始",
        "---------------------------用户上传之内容结束--------------------------------",
        "更多精彩小说，尽在书包网",
        "TXT小说下载：www.bookben.net",
    ],
)
def test_site_ads_are_recognised_anywhere(line):
    assert is_site_ad(line)


@pytest.mark.parametrize(
    "line",
    [
        "Sora官方网址：https://openai.com/sora",
        "本书由人民邮电出版社出版，配套资源可在官方网站下载。",
        "更多精彩内容请看第三章。",
        "更多精彩的网络应用，尽在本章。",
        "本书来自作者多年的教学实践。",
        "www.zxcs.me",
    ],
)
def test_book_text_that_mentions_a_site_or_a_download_is_not_an_ad(line):
    assert not is_site_ad(line)


@pytest.mark.parametrize(
    "line",
    ["www.zxcs.me", "http://www.zxcs.me/", "【Www.Qisuu.Com】", "--zxcs.me--", "★☆★☆★☆", "====", "* * *"],
)
def test_an_address_alone_or_a_separator_is_site_wrapping(line):
    assert is_site_wrapping(line)


@pytest.mark.parametrize("line", ["https://openai.com/sora", "Vue.js", "socket.io", "Node.js 实战", "1.1.1", "--", "访问 www.zxcs.me"])
def test_a_deep_link_a_library_name_or_text_is_not_site_wrapping(line):
    assert not is_site_wrapping(line)


def test_wrapping_counts_only_within_the_first_and_last_lines():
    lines = ["www.a.com", *[f"正文{index}" for index in range(40)], "www.b.com", "", "www.c.com"]
    lines.insert(20, "www.middle.com")
    kept, dropped = strip_boilerplate(lines)
    assert dropped == ["www.a.com", "www.b.com", "www.c.com"]
    assert kept[20] == "www.middle.com"
    assert len(kept) == len(lines) and kept[0] == kept[-1] == ""
