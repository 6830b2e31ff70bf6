"""Plain-text summaries of an import, for the command line."""

from articles.importers.results import Action, ImportReport

ACTION_WORDS = {
    Action.CREATE: "新建",
    Action.UPDATE: "更新",
    Action.UNCHANGED: "无变化",
    Action.KEPT_EDITED: "已被编辑，保留",
}
COLUMN_WORDS = {"create": "新建专栏", "update": "更新专栏数字", "existing": "导入到专栏"}


def format_report(report: ImportReport) -> str:
    lines = ["（试运行：没有写入任何内容）" if report.dry_run else ""]
    for file in report.files:
        if not file.ok:
            lines.append(f"✗ {file.error}")
            continue
        counts = "，".join(f"{ACTION_WORDS[action]} {n}" for action, n in file.summary.items() if n)
        lines.append(f"✓ {file.filename} [{file.format}] {COLUMN_WORDS.get(file.column_action, '')}《{file.column_title}》：{counts or '没有文章'}")
        if file.sections_created:
            lines.append(f"    新栏目：{'、'.join(file.sections_created)}")
        missing = sum(len(article.images_missing) for article in file.articles)
        found = sum(article.images_found for article in file.articles)
        if found or missing:
            lines.append(f"    图片：找到 {found}，缺失 {missing}")
        lines.extend(f"    ! {warning}" for warning in file.warnings)
        if file.not_listed:
            lines.append(f"    这份文档不再列出的已导入文章（保留不动）：{'、'.join(file.not_listed)}")
        if file.dropped_lines:
            lines.append(f"    删去的下载站广告行 {len(file.dropped_lines)} 行：")
            lines.extend(f"      - {line}" for line in file.dropped_lines)
    ok = sum(1 for file in report.files if file.ok)
    lines.append(f"{ok} 个文件成功，{len(report.files) - ok} 个失败。")
    return "\n".join(line for line in lines if line)
