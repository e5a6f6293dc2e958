"""tqa.reports.render and tqa.reports.pdf: offline Chinese HTML, deterministic PDF (headless Chromium), tables,
charts."""

from __future__ import annotations

import base64
import hashlib
import http.server
import re
import shutil
import subprocess
import threading
import warnings
from html import unescape

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tqa.reports import display as report
from tqa.reports import pdf
from tqa.reports.render import html_to_pdf, notebook_title, notebook_to_html  # noqa: E402

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def chart_jpeg() -> bytes:
    report.setup()
    fig, ax = plt.subplots()
    ax.bar(["语文", "数学", "英语"], [3.5, -2.0, -4.25])
    ax.set_title("各学科与全区均分之差")
    ax.set_ylabel("分差（分）")
    try:
        return report.figure_jpeg(fig)
    finally:
        plt.close(fig)


def report_nb() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    df = pd.DataFrame({"subject": ["语文", "数学"], "n": [120, 118], "pass_rate": [0.853, 0.9]})
    table = nbformat.v4.new_code_cell("report.show_table(df)")
    table.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": report.table_html(
                    df,
                    {"subject": "学科", "n": "人数", "pass_rate": "及格率"},
                    {"pass_rate": "rate"},
                    caption="表1 测试",
                ),
                "text/plain": "<IPython.core.display.HTML object>",
            },
        )
    ]
    chart = nbformat.v4.new_code_cell("report.show_figure(fig)  # SECRET_CODE")
    chart.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"image/jpeg": base64.b64encode(chart_jpeg()).decode(), "text/plain": "<Figure>"},
            metadata={"image/jpeg": {"width": 480}},
        )
    ]
    js = nbformat.v4.new_code_cell("display(Javascript('alert(1)'))")
    js.outputs = [nbformat.v4.new_output("display_data", data={"application/javascript": "alert(1)"})]
    hidden = nbformat.v4.new_code_cell("print('hidden')")
    hidden.metadata.tags = ["remove-cell"]
    hidden.outputs = [nbformat.v4.new_output("stream", name="stdout", text="HIDDEN_OUTPUT\n")]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 实验小学教学质量分析报告\n\n本报告说明一分三率。"),
        table,
        chart,
        js,
        hidden,
    ]
    return nb


@pytest.fixture(scope="module")
def html() -> str:
    return notebook_to_html(report_nb())


def test_html_is_offline_chinese_and_codeless(html):
    assert '<html lang="zh-CN">' in html
    assert "<title>实验小学教学质量分析报告</title>" in html
    # The one script is the template's own (table sorting), allowed by its hash and nothing else.
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I)
    assert len(scripts) == 1 and "data-edition" in scripts[0]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in html and "default-src 'none'" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html and "SECRET_CODE" not in html and "HIDDEN_OUTPUT" not in html
    assert "alert(1)" not in html and "In&nbsp;[" not in html and "In [" not in html
    assert "<th>学科</th>" in html and re.search(r'<td class="num" data-v="[^"]+">85.3%</td>', html)


def test_chart_is_embedded_jpeg_at_its_size(html):
    m = re.search(r'<img [^>]*src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)" alt="图表" style="width: 480px">', html)
    assert m is not None
    assert base64.b64decode(m.group(1))[:3] == b"\xff\xd8\xff"


def test_title_from_metadata_then_h1():
    nb = report_nb()
    assert notebook_title(nb) == "实验小学教学质量分析报告"
    nb.metadata.title = "区域报告"
    assert notebook_title(nb) == "区域报告"
    assert notebook_title(nbformat.v4.new_notebook()) == "报告"


def _has_browser() -> bool:
    try:
        return bool(pdf.find_browser())
    except pdf.PdfError:
        return False


needs_chromium = pytest.mark.skipif(not _has_browser(), reason="chromium not installed")


@needs_poppler
@needs_chromium
def test_pdf_is_deterministic_with_embedded_chinese(html, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    html_to_pdf(html, a)
    pdf.shutdown()  # the second print comes from a fresh browser
    html_to_pdf(html, b)
    assert a.read_bytes() == b.read_bytes()
    assert b"/CreationDate (D:20000101000000+00'00')" in a.read_bytes()  # SOURCE_DATE_EPOCH, not now
    info = subprocess.run(["pdfinfo", str(a)], capture_output=True, text=True).stdout
    assert re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(a), "-"], capture_output=True, text=True).stdout
    assert "实验小学教学质量分析报告" in text and "及格率" in text and "85.3%" in text  # selectable text
    assert re.search(r"第\s*1\s*页\s*/\s*共\s*1\s*页", text)  # the page footer from the CSS @page rule
    fonts = subprocess.run(["pdffonts", str(a)], capture_output=True, text=True).stdout.splitlines()[2:]
    # Chromium (Skia) embeds CFF fonts such as Noto Sans CJK as Type 3 outlines with a ToUnicode map.
    assert fonts and all(re.search(r"\byes\s+(yes|no)\s+yes\b", line) for line in fonts)  # emb, uni
    assert "Tagged:          no" in info  # a structure tree triples the print time (docs/performance.md)


@needs_poppler
@needs_chromium
def test_pdf_bookmarks_follow_the_headings_to_their_pages(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 实验小学教学质量分析报告"),
        nbformat.v4.new_markdown_cell("## 一、本校要点\n\n正文。"),
        nbformat.v4.new_markdown_cell("### 增值：本校的位置\n\n正文。"),
        nbformat.v4.new_markdown_cell(
            '<div style="break-before: page"></div>\n\n## 二、附录 <测试> & "引号"\n\n正文。'
        ),
    ]
    html = notebook_to_html(nb)
    out = tmp_path / "r.pdf"
    html_to_pdf(html, out)
    check = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stderr == ""  # poppler reads the updated cross-reference cleanly
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(out)], capture_output=True, text=True).stdout
    items = [(page, unescape(text)) for page, text in re.findall(r'<item page="(\d+)">(.*?)</item>', xml)]
    assert items == [("1", "一、本校要点"), ("1", "增值：本校的位置"), ("2", '二、附录 <测试> & "引号"')]
    nested = xml[xml.index("<outline>") :]
    assert re.search(r"一、本校要点</item>\s*<outline>\s*<item[^>]*>增值", nested)  # the h3 under its h2
    marks = pdf.headings(html)
    assert pdf.add_outline(out.read_bytes(), marks) == out.read_bytes()  # already has one: left as it is


def test_outline_skips_headings_without_a_destination():
    raw = b"%PDF-1.4\n"
    dests = b"<</a [3 0 R /XYZ 0 800 0]>>"
    objs = [b"<</Type /Catalog\n/Pages 3 0 R\n/Dests 2 0 R>>", dests, b"<</Type /Pages /Kids [] /Count 0>>"]
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(raw))
        raw += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(raw)
    raw += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    raw += b"trailer\n<</Size 4\n/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    out = pdf.add_outline(raw, [(2, "a", "甲"), (2, "b", "乙（在另一版本里）")])
    assert out.startswith(raw)  # an incremental update: the printed bytes stay as they are
    tail = out[len(raw) :]
    assert tail.count(b"/Title") == 1 and b"<FEFF7532>" in tail  # 甲 only
    assert b"/Outlines 4 0 R" in tail and b"/Prev %d" % xref in tail and b"/Size 6" in tail


def test_fix_dates_keeps_every_byte_offset():
    raw = b"%PDF-1.4\n<</CreationDate (D:20261124143355+00'00')\n/ModDate (D:20261124143355+00'00')>>\nxref"
    fixed = pdf.fix_dates(raw, epoch=946684800)
    assert len(fixed) == len(raw)
    assert fixed.count(b"(D:20000101000000+00'00')") == 2
    assert pdf.fix_dates(b"/ModDate (D:20261124143355Z)", epoch=0) == b"/ModDate (D:19700101000000Z)"


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@needs_chromium
def test_pdf_never_reaches_the_network(tmp_path):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        page = (
            f'<html lang="zh-CN"><head><link rel="stylesheet" href="http://127.0.0.1:{port}/x.css"></head>'
            f'<body><p>中文</p><img src="http://127.0.0.1:{port}/x.png">'
            f'<img src="http://localhost:{port}/y.png"></body></html>'
        )
        out = html_to_pdf(page, tmp_path / "x.pdf")
    finally:
        server.shutdown()
    assert out.read_bytes().startswith(b"%PDF")
    assert _Recorder.requests == []


def test_missing_browser_is_a_readable_error(monkeypatch):
    monkeypatch.setenv("TQA_CHROMIUM", "/nonexistent/chromium")
    with pytest.raises(pdf.PdfError, match="无法启动 Chromium"):
        pdf.Browser()


def test_chinese_chart_has_no_missing_glyphs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise here
        jpeg = chart_jpeg()
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert matplotlib.rcParams["axes.unicode_minus"] is True
    assert matplotlib.rcParams["font.family"] == ["DejaVu Sans", "Noto Sans CJK SC"]
    assert chart_jpeg() == jpeg  # same figure, same bytes


def test_table_html_formats_and_headers():
    df = pd.DataFrame(
        {
            "school": ["一中", "二中", "三中"],
            "n": [120, 98, 7],
            "mean": [78.26, 81.04, -3.55],
            "pass_rate": [0.853, 0.9, float("nan")],
        }
    )
    out = report.table_html(
        df,
        {"school": "学校", "mean": "平均分", "pass_rate": "及格率", "n": "人数", "absent": "不在表中"},
        {"mean": "mean", "pass_rate": "rate", "sd": "{:.1f}"},
        caption="表1 <测试>",
        highlight_row={"school": "二中"},
    )
    # The caption is the first header row: printed again above the table's rows on every page.
    assert '<thead><tr class="cap"><th colspan="4">表1 &lt;测试&gt;</th></tr><tr class="cols">' in out
    cols = re.search(r'<tr class="cols">(.*?)</tr>', out).group(1)
    heads = re.findall(r"<th(?: [^>]*)?>(.*?)</th>", cols)
    assert heads == ["学校", "人数", "平均分", "及格率"]  # df order, renamed, no index
    cells = re.findall(r"<td[^>]*>(.*?)</td>", out)
    assert cells == [
        "一中",
        "120",
        "78.3",
        "85.3%",
        "二中",
        "98",
        "81.0",
        "90.0%",
        "三中",
        "7",
        "-3.5",
        "—",
    ]  # ints stay ints, NaN is a dash
    assert out.count('<tr class="hl">') == 1 and '<tr class="hl"><td class="nw">二中' in out
    assert '<td class="num" data-v="78.26">78.3</td>' in out and '<td class="nw">一中</td>' in out
    assert '<td class="num">—</td>' in out  # nothing to sort by: sorts last
    assert report.table_html(df, highlight_row=lambda r: r["n"] < 10).count('class="hl"') == 1
    mask = df["school"] == "三中"
    assert '<tr class="hl"><td class="nw">三中' in report.table_html(df, highlight_row=mask)
    assert '<tr class="hl"><td class="nw">一中' in report.table_html(df, highlight_row=0)
    long = report.table_html(pd.DataFrame({"原因": ["七年级数学增值明显偏低，区间不含 0"]}))
    assert "<td>七年级数学增值明显偏低，区间不含 0</td>" in long  # long text may wrap
    with pytest.raises(ValueError):
        report.table_html(df, {"n": "人数"}, {"n": "nonsense"})


def test_table_html_keeps_text_placeholders_in_numeric_columns():
    df = pd.DataFrame({"subject": ["语文", "数学"], "mean": pd.Series([81.25, "样本过少"], dtype=object)})
    cells = re.findall(r"<td[^>]*>(.*?)</td>", report.table_html(df, formats={"mean": "mean"}))
    assert cells == ["语文", "81.2", "数学", "样本过少"]
    assert '<td class="num">样本过少</td>' in report.table_html(df, formats={"mean": "mean"})


def test_heading_gives_the_title():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show_heading(...)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": report.heading_html("一中 2023 学年教学质量分析报告", 1, subtitle="城区 · 初中")},
        )
    ]
    nb.cells = [cell]
    assert notebook_title(nb) == "一中 2023 学年教学质量分析报告"
    page = notebook_to_html(nb)
    assert "<title>一中 2023 学年教学质量分析报告</title>" in page and "城区 · 初中" in page


def test_note_and_provenance_escape_text():
    note = report.note_html("数据<仅供>参考\n第二行", kind="warn")
    assert 'class="tqa-note warn"' in note and "数据&lt;仅供&gt;参考<br>第二行" in note
    prov = report.provenance_html({"学期": "2023-2", "输入哈希": "sha256:ab"})
    assert "<tr><th>学期</th><td>2023-2</td></tr><tr><th>输入哈希</th><td>sha256:ab</td></tr>" in prov


def test_cover_names_the_edition_and_escapes_a_hostile_running_header():
    hostile = '实验"小学</style><script>alert(1)</script>\\'
    out = report.cover_html(f"{hostile}报告", "全区报告", "public", "../index.html", hostile)
    assert '<span class="tqa-edition public">公开版</span>' in out and 'href="../index.html"' in out
    assert "<script>" not in out and "&lt;script&gt;" in out  # the title: HTML-escaped
    style = re.search(r"<style>(.*)</style>$", out, re.S).group(1)
    assert "</style" not in style and "<" not in style and "\\22 " in style  # the header: a CSS string
    assert style.count('"') == 2 and style.endswith('· 公开版"; } }')
    assert "内部版" in report.cover_html("t", "s", "internal", "index.html", "r")


def test_contents_list_every_section_and_public_drops_internal_only_cells():
    from tqa.reports.render import INTERNAL_ONLY_TAG, TOC_MARK, for_edition, with_contents

    body = f'<header>{TOC_MARK}</header><h2 id="a">一、甲<a class="anchor-link" href="#a">¶</a></h2><h2 id="b">二、&lt;乙&gt;</h2>'
    out = with_contents(body)
    assert '<li><a href="#a">一、甲</a></li><li><a href="#b">二、&lt;乙&gt;</a></li>' in out and TOC_MARK not in out
    nb = report_nb()
    nb.cells[0].metadata.tags = [INTERNAL_ONLY_TAG]
    assert len(for_edition(nb, "public").cells) == len(nb.cells) - 1
    assert len(for_edition(nb, "internal").cells) == len(nb.cells)


def test_band_cells_are_coloured_and_short_tables_kept_whole():
    df = pd.DataFrame({"学科": ["语文", "数学"], "分档": ["明显低于", "高于"], "颜色": ["红", "蓝"]})
    out = report.table_html(df, cell_classes=("分档", "颜色"))
    assert '<td class="nw b-wb">明显低于</td>' in out and '<td class="nw c-red">红</td>' in out
    assert '<td class="nw c-blue">蓝</td>' in out and 'class="tqa-table keep"' in out
    assert '<td class="nw">明显低于</td>' in report.table_html(df)  # only the columns asked for
    long = pd.DataFrame({"n": range(report.KEEP_WHOLE_ROWS + 1)})
    assert "keep" not in report.table_html(long) and '<div class="tbl wide">' in report.table_html(long, wide=True)


def test_the_title_breaks_between_its_parts_never_inside_one():
    out = report.cover_html("梅口镇九年一贯制学校2023-2024学年第二学期教学质量分析报告", "s", "internal", "i", "r",
                            unit="梅口镇九年一贯制学校")  # fmt: skip
    assert "<span>梅口镇九年一贯制学校</span><span>2023-2024学年第二学期</span><span>教学质量分析报告</span>" in out


@needs_poppler
@needs_chromium
def test_a_section_opening_with_a_wide_table_starts_on_its_landscape_page(tmp_path):
    def output(markup: str) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell("show(x)")
        cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": markup, "text/plain": ""})]
        return cell

    wide = pd.DataFrame({f"列{i}": [f"值{i}"] for i in range(12)})
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 实验小学教学质量分析报告\n\n## 一、甲\n\n正文。"),
        output(report.table_html(pd.DataFrame({"a": [1]}))),
        nbformat.v4.new_markdown_cell("## 二、班级对比\n\n说明这一部分。"),
        output(report.table_html(wide, wide=True)),
    ]
    out = tmp_path / "r.pdf"
    html_to_pdf(notebook_to_html(nb), out)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "2", str(out)], capture_output=True, text=True).stdout
    assert re.search(r"Page\s+1 size:\s+59[45](\.\d+)? x 84[12]", info)  # portrait
    assert re.search(r"Page\s+2 size:\s+84[12](\.\d+)? x 59[45]", info) and "Pages:           2" in info
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(out), "-"], capture_output=True, text=True).stdout
    assert "二、班级对比" in page2 and "说明这一部分" in page2 and "值11" in page2  # heading and text with their table


def test_rows_left_off_the_paper_stay_on_the_screen():
    df = pd.DataFrame({"学校": ["甲校", "乙校", "丙校"], "平均分": [90.0, 80.0, 70.0]})
    out = report.table_html(df, print_rows=[False, True, False], print_note="打印版只列出乙校。", highlight_row=0)
    assert out.count("<tr") == 4 and '<tr class="hl np">' in out and "<tr>" in out  # every row is in the page
    assert out.count('class="np"') == 1 and '<p class="print-only tbl-note">打印版只列出乙校。</p>' in out
    assert 'class="tqa-table keep partial"' in out
    assert "print-only" not in report.table_html(df, print_rows=[True] * 3, print_note="不会出现")


@needs_poppler
@needs_chromium
def test_the_printed_page_leaves_off_the_rows_it_was_told_to(tmp_path):
    df = pd.DataFrame({"学校": ["甲校", "乙校", "丙校"], "平均分": [90.0, 80.0, 70.0]})
    cell = nbformat.v4.new_code_cell("show(x)")
    markup = report.table_html(df, print_rows=[False, True, False], print_note="打印版只列出乙校。")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": markup, "text/plain": ""})]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 实验小学教学质量分析报告"), cell]
    out = tmp_path / "r.pdf"
    html = notebook_to_html(nb)
    html_to_pdf(html, out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "乙校" in text and "打印版只列出乙校" in text and "甲校" not in text and "丙校" not in text
    assert "甲校" in html and "丙校" in html


@needs_poppler
@needs_chromium
def test_landscape_blocks_flow_over_landscape_pages_with_their_headings(tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(report, "_display_html", shown.append)
    wide = pd.DataFrame({f"列{i}": [f"值{i}"] for i in range(12)})
    small = pd.DataFrame({"范围": ["全区"], "及格率": ["90.0%"]})
    blocks = [report.Landscape([report.Heading(f"{g}年级 语文", 3), report.Table(small), report.Table(wide, wide=True)])
              for g in (3, 4)]  # fmt: skip
    report.show(blocks)
    assert shown[0] == '<div class="landscape">' and shown[4] == "</div>" and shown[5] == '<div class="landscape">'
    cell = nbformat.v4.new_code_cell("show(x)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": h, "text/plain": ""}) for h in shown]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 实验小学教学质量分析报告\n\n## 一、甲\n\n正文。"),
        nbformat.v4.new_markdown_cell("## 二、各科\n\n这一部分的说明。"),
        cell,
    ]
    out = tmp_path / "r.pdf"
    html_to_pdf(notebook_to_html(nb), out)
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "3", str(out)], capture_output=True, text=True).stdout
    assert "Pages:           2" in info and re.search(r"Page\s+2 size:\s+84[12](\.\d+)? x 59[45]", info)
    page2 = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(out), "-"], capture_output=True, text=True).stdout
    # Both papers on one landscape page with their headings, after the section's own heading and explanation.
    assert "二、各科" in page2 and "这一部分的说明" in page2 and "3年级 语文" in page2 and "4年级 语文" in page2
