"""Vietnamese only: what Streamlit's own frontend would show in English, hidden or replaced.

Everything a user of Giao việc reads is Vietnamese, in every browser and every browser language.
Our own texts are; Streamlit 1.67's frontend adds English of its own, and has no option to
translate it (``client.toolbarMode = "minimal"`` in .streamlit/config.toml already removes the
main menu: Settings, Print, Record a screencast, Rerun, Deploy). So, once per page run
(``speak_vietnamese`` in app.py), one block of CSS and one small script:

- hidden, because they are not needed: the "Press Enter to submit form" / "Press Ctrl+Enter …"
  hints under text boxes (with the character counter they share a line with: the box itself still
  stops at its limit), the toolbar over tables and charts (Show/hide columns, Download as CSV,
  Search, Fullscreen, Show data, Download as PNG; exports will be our own Vietnamese buttons), a
  table column's menu (Sort ascending …: a click on the column's header still sorts), and the
  Stop button beside the "running" figure at the top right;
- replaced by a Vietnamese text (the English text hidden, ours shown with ``::after``, where the
  element itself must stay): "No results" in a select box's list, Streamlit's error tooltips of
  a widget ("Date set outside allowed range …"), the "Skip to main content" link keyboard users
  reach first, the connection state ("Connecting") and the file uploader's "… per file" line and
  its "Upload" button;
- by the script, which CSS cannot do: ``<html lang="vi">`` (screen readers and the browser's
  spelling and hyphenation read Vietnamese), the browser's language as Streamlit's widgets read it
  set to vi-VN (the date picker's calendar takes its month and weekday names from it: "Tháng 11",
  "T2 … CN" in an en-US browser too; numbers are grouped the Vietnamese way), the
  ``aria-label`` / ``title`` / ``placeholder`` texts Streamlit writes in English ("Clear all",
  "Choose an option" …) and a few whole texts (what only screen readers get: the calendar's
  instructions, "45 options available."; the dialog when the server does not answer; Streamlit's
  generic error sentence) translated from fixed lists.

The script changes nothing a page sends or receives, only texts of the browser's page; if a new
Streamlit version renames something, that text shows in English again and the browser test
``tests/e2e/test_vietnamese_only.py`` fails naming it.
"""

from __future__ import annotations

import json
from functools import cache

import streamlit as st

# The element that carries the block is hidden (it would otherwise leave a gap at the top).
MARKER = "gv-vietnamese"
# Streamlit's error of a widget (a date or number out of its range, a file of a type not accepted)
# names the limit in English; CSS cannot carry the value over, so one sentence says what is wrong.
INVALID = "Giá trị hoặc tệp không hợp lệ: sai định dạng, ngoài khoảng cho phép hoặc quá lớn."

CSS = f"""
[data-testid="stElementContainer"]:has(#{MARKER}) {{ display: none !important; }}
[data-testid="InputInstructions"] {{ display: none !important; }}
[data-testid="stElementToolbar"] {{ display: none !important; }}
[data-testid="stDataFrameColumnMenu"] {{ display: none !important; }}
[data-testid="stStatusWidget"] button {{ display: none !important; }}

[role="listbox"][data-empty="true"] [role="option"] > span {{ visibility: hidden; font-size: 0; }}
[role="listbox"][data-empty="true"] [role="option"] > span::after {{
  content: "Không có mục nào khớp"; visibility: visible; font-size: 1rem;
}}

[data-testid="stTooltipErrorContent"] [data-testid="stMarkdownContainer"] {{ visibility: hidden; font-size: 0; }}
[data-testid="stTooltipErrorContent"]::after {{ content: "{INVALID}"; font-size: .875rem; }}
span[role="alert"][id$="-error"], [data-testid="stFileChip"] span[role="alert"] {{ visibility: hidden; font-size: 0; }}
span[role="alert"][id$="-error"]::after, [data-testid="stFileChip"] span[role="alert"]::after {{
  content: "{INVALID}"; visibility: visible; font-size: .875rem;
}}

[data-testid="stSkipToContent"] {{ font-size: 0 !important; }}
[data-testid="stSkipToContent"]::after {{ content: "Chuyển đến nội dung chính"; font-size: 1rem; }}

[data-testid="stConnectionStatus"] label {{ font-size: 0 !important; }}
[data-testid="stConnectionStatus"] label::after {{ content: "Đang kết nối lại…"; font-size: .875rem; }}

[data-testid="stFileUploaderDropzoneInstructions"] span {{ visibility: hidden; font-size: 0; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: "Kéo thả tệp vào đây hoặc bấm “Chọn tệp”"; font-size: .875rem;
}}
[data-testid="stFileUploaderDropzone"] > span > button [data-testid="stMarkdownContainer"] p {{ display: none; }}
[data-testid="stFileUploaderDropzone"] > span > button [data-testid="stMarkdownContainer"]::after {{
  content: "Chọn tệp";
}}
"""

# aria-label / title / placeholder texts of Streamlit 1.67 (and react-aria), and the roles Vega gives a
# chart's parts (aria-roledescription) → Vietnamese
ATTRIBUTES: dict[str, str] = {
    "Choose an option": "Chọn",
    "Choose options": "Chọn",
    "No options to select": "Không có lựa chọn",
    "No options to select.": "Không có lựa chọn.",
    "Clear all": "Xóa hết",
    "Clear value": "Xóa lựa chọn",
    "Clear entry": "Xóa nội dung",
    "Clear date": "Xóa ngày",
    "Clear dates": "Xóa ngày",
    "Selected values": "Đã chọn",
    "Open": "Mở danh sách",
    "Close": "Đóng",
    "Dismiss": "Đóng",
    "Increment": "Tăng",
    "Decrement": "Giảm",
    "Choose date": "Chọn ngày",
    "Choose date range": "Chọn khoảng ngày",
    # Vega's roles of a chart's parts (aria-roledescription), which no chart option translates
    "visualization": "biểu đồ",
    "group mark container": "nhóm",
    "rect mark container": "các cột",
    "line mark container": "các đường",
    "symbol mark container": "các điểm",
    "text mark container": "các nhãn",
    "rule mark container": "các vạch",
    "bar": "cột",
    "axis": "trục",
    "legend": "chú giải",
    "Previous month": "Tháng trước",
    "Next month": "Tháng sau",
    "Previous": "Trước",
    "Next": "Sau",
    "Sidebar": "Thanh bên",
    "App pages": "Các trang",
    "Collapse sidebar": "Thu gọn thanh bên",
    "Expand sidebar": "Mở thanh bên",
    "Link to heading": "Liên kết đến tiêu đề",
    "Running...": "Đang xử lý…",
    "Stop": "Dừng",
    "Stop script": "Dừng",
    "Show password": "Hiện mật khẩu",
    "Hide password": "Ẩn mật khẩu",
    "Copy to clipboard": "Sao chép",
    "Copy column name": "Sao chép tên cột",
    "Selectbox options": "Các lựa chọn",
    "Multiselect options": "Các lựa chọn",
    "Notifications": "Thông báo",
    "Pagination": "Phân trang",
    "Previous page": "Trang trước",
    "Next page": "Trang sau",
    "Scroll tabs left": "Cuộn thẻ sang trái",
    "Scroll tabs right": "Cuộn thẻ sang phải",
    "Add files": "Thêm tệp",
    "file upload": "Tải tệp lên",
    "Upload": "Chọn tệp",
    "Remove file": "Bỏ tệp",
    "Delete": "Xóa",
}
# texts that start with English and go on with a value ("Remove Sở Y tế", "Choose date, tháng 11 năm 2026")
PREFIXES: dict[str, str] = {
    "Remove ": "Bỏ ",
    "Choose date, ": "Chọn ngày, ",
    "Today, ": "Hôm nay, ",
}
# Whole texts of the page (not attributes) in English: mostly what only screen readers get (a
# calendar's instructions and title, a list's count). Whole and specific on purpose: a text a user
# typed is not rewritten.
WHOLE_TEXTS: dict[str, str] = {
    "Use arrow keys to navigate dates. Enter to select. Escape to close.": (
        "Dùng phím mũi tên để chọn ngày, Enter để chọn, Escape để đóng."
    ),
    "Select all": "Chọn tất cả",  # the first line of a multiselect's list (our pickers turn it off)
    # the dialog when the server does not answer (a restart behind nginx, the network)
    "Connection error": "Mất kết nối với máy chủ",
    "Streamlit server is not responding. Are you connected to the internet?": (
        "Máy chủ Giao việc chưa trả lời. Hãy kiểm tra kết nối mạng; trang tự kết nối lại khi máy chủ trả lời."
    ),
    "Connection lost. Please wait for the app to reconnect, then try again.": (
        "Mất kết nối. Hãy chờ trang kết nối lại rồi thử lại."
    ),
    "Connection timed out.": "Hết thời gian chờ kết nối.",
    "Is Streamlit still running? If you accidentally stopped Streamlit, just restart it in your terminal:": (
        "Máy chủ Giao việc đã dừng. Hãy báo quản trị viên."
    ),
    "Bad message format": "Dữ liệu nhận được không đúng định dạng",
    # never expected (asgi.py, app.py): said in Vietnamese all the same
    "Page not found": "Không tìm thấy trang",
    "This app has encountered an error. The original error message is redacted to prevent data leaks. Full "
    "error details have been recorded in the logs (if you're on Streamlit Cloud, click on 'Manage app' in "
    "the lower right of your app).": "Đã có lỗi không mong muốn. Hãy tải lại trang; nếu còn lỗi, báo quản trị viên.",
}
TEXT_PATTERNS: list[tuple[str, str]] = [
    (r"^(\d+) options? available\.$", "$1 lựa chọn."),
    (r"^Choose date, (.+)$", "Chọn ngày, $1"),
    (r"^Select (\d+) matches$", "Chọn $1 mục khớp"),
    (
        r"^(?:You have requested page|The page that you have requested).*Running the app's main page\.$",
        "Không có trang này; đang mở trang chính.",
    ),
    (r"^[a-z_]+ icon$", ""),  # the hidden name of an icon button ("add icon"): its aria-label speaks
]

SCRIPT = """
(() => {
  document.documentElement.lang = "vi";
  if (window.__giaoviecVietnamese) return;
  window.__giaoviecVietnamese = true;
  // The browser's language as Streamlit's widgets read it (the calendar's names, number grouping).
  for (const [name, value] of [["language", "vi-VN"], ["languages", Object.freeze(["vi-VN", "vi"])]]) {
    try { Object.defineProperty(Navigator.prototype, name, { configurable: true, get: () => value }); } catch (e) {}
  }
  window[Symbol.for("react-aria.i18n.locale")] = "vi-VN";
  window.dispatchEvent(new Event("languagechange"));
  // English texts of attributes, from the fixed lists.
  const WORDS = new Map(Object.entries(__WORDS__));
  const PREFIXES = Object.entries(__PREFIXES__);
  const NAMES = ["aria-label", "title", "placeholder", "aria-roledescription"];
  const vietnamese = (text) => {
    const word = WORDS.get(text);
    if (word !== undefined) return word;
    for (const [en, vi] of PREFIXES) if (text.startsWith(en)) return vi + text.slice(en.length);
    return null;
  };
  const fix = (el) => {
    for (const name of NAMES) {
      const text = el.getAttribute(name);
      const vi = text ? vietnamese(text) : null;
      if (vi !== null && vi !== text) el.setAttribute(name, vi);
    }
  };
  // The skip link's English text is hidden by the CSS (its Vietnamese drawn after it): its name too.
  const SKIP = '[data-testid="stSkipToContent"]';
  // Whole texts (mostly for screen readers), never parts of one: a user's text stays as typed.
  const TEXTS = new Map(Object.entries(__TEXTS__));
  const PATTERNS = __PATTERNS__.map(([re, vi]) => [new RegExp(re), vi]);
  const fixText = (node) => {
    const text = node.nodeValue.trim();
    if (!text) return;
    let vi = TEXTS.get(text);
    if (vi === undefined) {
      const hit = PATTERNS.find(([re]) => re.test(text));
      vi = hit ? text.replace(hit[0], hit[1]) : undefined;
    }
    if (vi !== undefined && vi !== text) node.nodeValue = vi;
  };
  const sweep = (node) => {
    if (node.nodeType === 3) return fixText(node);
    if (node.nodeType !== 1) return;
    fix(node);
    node.querySelectorAll("[aria-label],[title],[placeholder],[aria-roledescription]").forEach(fix);
    if (node.matches(SKIP)) node.setAttribute("aria-label", "Chuyển đến nội dung chính");
    node.querySelectorAll(SKIP).forEach((el) => el.setAttribute("aria-label", "Chuyển đến nội dung chính"));
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) fixText(t);
  };
  sweep(document.body);
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "attributes") fix(r.target);
      else if (r.type === "characterData") fixText(r.target);
      else r.addedNodes.forEach(sweep);
    }
  }).observe(document.body, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: NAMES,
  });
})();
"""


@cache
def page_block() -> str:
    """The HTML of the block: the CSS, and the script with its lists filled in (built once per
    process: it is the same text on every page run)."""
    lists = {
        "__WORDS__": ATTRIBUTES,
        "__PREFIXES__": PREFIXES,
        "__TEXTS__": WHOLE_TEXTS,
        "__PATTERNS__": TEXT_PATTERNS,
    }
    script = SCRIPT
    for name, value in lists.items():
        script = script.replace(name, json.dumps(value, ensure_ascii=False))
    return f'<style>{CSS}</style><script id="{MARKER}">{script}</script>'


def speak_vietnamese() -> None:
    """Put the block on the page; once per page run, before the page draws (app.py)."""
    st.html(page_block(), unsafe_allow_javascript=True)
