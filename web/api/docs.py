"""``/api/v1/docs``: the API's reference as one self-contained HTML page, made from the OpenAPI document.

Swagger UI and ReDoc load their scripts and fonts from a CDN, which the officials' network may
not reach; this page needs nothing but itself (no script, no font, no image), so it reads the
same offline. Every endpoint with its parameters, body, answers and error codes, and every task
action with the fields of its input, come from ``openapi.json``: the page cannot drift from it.
"""

from __future__ import annotations

import html
from typing import Any

_STYLE = """
body{font-family:"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;margin:0;background:#f3f6fa;color:#1d2733;
 line-height:1.45}
header{background:#b71c1c;color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.6rem} header p{margin:.3rem 0 0;opacity:.92}
header code{background:rgba(255,255,255,.2);color:#fff}
main{max-width:1100px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border-radius:8px;box-shadow:0 1px 6px rgba(0,0,0,.07);padding:1rem 1.4rem;margin:1rem 0}
h2{font-size:1.25rem;margin:.2rem 0 .6rem} h3{font-size:1rem;margin:1rem 0 .4rem;color:#44515f}
table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.3rem 0}
th,td{border:1px solid #dde3ea;padding:.35rem .55rem;text-align:left;vertical-align:top}
th{background:#f0f3f7}
code{background:#f0f3f7;padding:.05rem .3rem;border-radius:3px;font-size:.9em}
pre{background:#1d2733;color:#e9eef4;padding:.8rem 1rem;border-radius:6px;overflow-x:auto;font-size:.88rem}
.verb{display:inline-block;min-width:3.6rem;text-align:center;font-weight:700;color:#fff;border-radius:4px;
 padding:.1rem .45rem;margin-right:.5rem;font-size:.85rem}
.get{background:#1565c0}.post{background:#2e7d32}
.path{font-family:monospace;font-size:1.05rem}
nav ul{columns:2;margin:.2rem 0;padding-left:1.2rem} nav a{color:#b71c1c;text-decoration:none}
.muted{color:#5b6773}
"""


def _inline(text: str) -> str:
    """Escaped text with its `code` spans (the OpenAPI descriptions are markdown) as <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{part}</code>" if index % 2 else part for index, part in enumerate(parts))


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: dict[str, Any], components: dict[str, Any]) -> str:
    """A schema in a few words: ``string (date)``, ``TaskClass: a | b``, ``list[int]``."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        target = components.get(name, {})
        if "enum" in target:
            return " | ".join(str(v) for v in target["enum"])
        return name
    if "anyOf" in schema or "oneOf" in schema:
        options = [_type(s, components) for s in schema.get("anyOf", schema.get("oneOf", []))]
        return " | ".join(o for o in options if o != "null") + (" | null" if "null" in options else "")
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    kind = schema.get("type", "object")
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), components)}]"
    if kind == "object" and "additionalProperties" in schema:
        return f"dict[…, {_type(schema['additionalProperties'], components)}]"
    fmt = schema.get("format")
    return f"{kind} ({fmt})" if fmt else str(kind)


def _limits(schema: dict[str, Any]) -> str:
    words = []
    for key, text in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "tối đa ký tự:")):
        if key in schema:
            words.append(f"{text} {schema[key]}")
    if "default" in schema and schema["default"] not in (None, "", []):
        words.append(f"mặc định {schema['default']}")
    return "; ".join(words)


def _fields_table(model: str, components: dict[str, Any]) -> str:
    schema = components.get(model, {})
    props: dict[str, Any] = schema.get("properties", {})
    if not props:
        return '<p class="muted">Không có trường nào: gửi <code>{}</code>.</p>'
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(_type(prop, components))}</td>"
        f"<td>{'có' if name in required else 'không'}</td>"
        f"<td>{_inline(prop.get('description', ''))} {html.escape(_limits(prop))}</td></tr>"
        for name, prop in props.items()
    )
    return (
        "<table><tr><th>Trường</th><th>Kiểu</th><th>Bắt buộc</th><th>Ghi chú</th></tr>" + rows + "</table>"
    )


def _anchor(method: str, path: str) -> str:
    return (method + path).replace("/", "-").replace("{", "").replace("}", "")


def _operation(method: str, path: str, op: dict[str, Any], prefix: str, components: dict[str, Any]) -> str:
    parts = [
        f'<section id="{_anchor(method, path)}"><h2><span class="verb {method}">{method.upper()}</span>'
        f'<span class="path">{html.escape(prefix + path)}</span></h2>',
        f"<p><strong>{html.escape(op.get('summary', ''))}</strong></p>",
        f"<p>{_inline(op.get('description', ''))}</p>",
    ]
    params = [p for p in op.get("parameters", [])]
    if params:
        rows = "".join(
            f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['in'])}</td>"
            f"<td>{html.escape(_type(p.get('schema', {}), components))}</td>"
            f"<td>{'có' if p.get('required') else 'không'}</td>"
            f"<td>{_inline(p.get('description', ''))} {html.escape(_limits(p.get('schema', {})))}</td></tr>"
            for p in params
        )
        parts.append(
            "<h3>Tham số</h3><table><tr><th>Tên</th><th>Ở</th><th>Kiểu</th><th>Bắt buộc</th><th>Ghi chú</th></tr>"
            + rows
            + "</table>"
        )
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
    if body is not None:
        if "$ref" in body:
            parts.append(f"<h3>Dữ liệu gửi (JSON): {html.escape(_ref_name(body['$ref']))}</h3>")
            parts.append(_fields_table(_ref_name(body["$ref"]), components))
        else:
            parts.append(
                "<h3>Dữ liệu gửi (JSON)</h3><p>Mô hình của thao tác, xem "
                '<a href="#thao-tac">Thao tác trên nhiệm vụ</a>.</p>'
            )
    rows = "".join(
        f"<tr><td>{html.escape(str(code))}</td><td>{html.escape(resp.get('description', ''))}</td></tr>"
        for code, resp in sorted(op.get("responses", {}).items())
    )
    parts.append("<h3>Trả lời</h3><table><tr><th>Mã HTTP</th><th>Ý nghĩa</th></tr>" + rows + "</table></section>")
    return "".join(parts)


def render(openapi: dict[str, Any], *, prefix: str) -> str:
    components: dict[str, Any] = openapi.get("components", {}).get("schemas", {})
    operations = [
        (method, path, op)
        for path, item in openapi.get("paths", {}).items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    toc = "".join(
        f'<li><a href="#{_anchor(m, p)}"><span class="verb {m}">{m.upper()}</span>{html.escape(prefix + p)}</a></li>'
        for m, p, _ in operations
    )
    actions = "".join(
        f"<tr><td><code>{html.escape(a['key'])}</code></td><td>{html.escape(a['label'])}</td>"
        f"<td>{html.escape(a['input'])}</td><td>{_fields_table(a['input'], components)}</td></tr>"
        for a in openapi.get("x-actions", [])
    )
    info = openapi.get("info", {})
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(info.get("title", "API"))}</title><style>{_STYLE}</style></head>
<body><header><h1>{html.escape(info.get("title", "API"))}</h1>
<p>{_inline(info.get("description", ""))}</p></header><main>
<section><h2>Bắt đầu</h2>
<p>Địa chỉ gốc: <code>{html.escape(prefix)}</code>. Mọi yêu cầu gửi khóa API của một tài khoản trong tiêu đề
<code>Authorization: Bearer gv_…</code>; khóa được tạo trên trang <strong>Khóa API</strong> của ứng dụng và chỉ
hiển thị một lần. Khóa làm được đúng những gì tài khoản làm được trên các trang; cookie đăng nhập của trang
web không được nhận. Tài liệu máy đọc:
<a href="{html.escape(prefix)}/openapi.json">{html.escape(prefix)}/openapi.json</a>.</p>
<pre>curl -H "Authorization: Bearer $TOKEN" "http://localhost:8501{html.escape(prefix)}/tasks?unit=000.00.05.H21"</pre>
<nav><ul>{toc}</ul></nav></section>
<section><h2>Mã lỗi</h2>
<p>Mọi lỗi có cùng dạng <code>{{"error": {{"code": …, "message": …, "field": …}}}}</code>; <code>message</code>
là tiếng Việt, <code>field</code> nêu trường gây lỗi (nếu có).</p>
<table><tr><th>HTTP</th><th>code</th><th>Khi nào</th></tr>
<tr><td>401</td><td><code>unauthenticated</code></td><td>Thiếu khóa, khóa sai, đã thu hồi, hết hạn, hoặc chỉ có cookie
đăng nhập (kèm <code>WWW-Authenticate: Bearer</code>)</td></tr>
<tr><td>403</td><td><code>permission_denied</code></td><td>Tài khoản không có quyền làm việc này</td></tr>
<tr><td>404</td><td><code>not_found</code></td><td>Không có, hoặc tài khoản không được xem (nhiệm vụ của đơn vị khác);
thao tác không có</td></tr>
<tr><td>409</td><td><code>conflict</code></td><td>Nhiệm vụ đã thay đổi từ lúc đọc (<code>expected_version</code> cũ),
hoặc thao tác không hợp với tình trạng hiện tại</td></tr>
<tr><td>422</td><td><code>invalid_input</code></td><td>Dữ liệu không hợp lệ (ngày sai, giá trị không có, số/ký hiệu
trùng…)</td></tr>
<tr><td>429</td><td><code>rate_limited</code></td><td>Khóa gửi quá nhiều yêu cầu; chờ số giây ở
<code>Retry-After</code></td></tr>
<tr><td>500</td><td><code>internal_error</code></td><td>Lỗi hệ thống (đã ghi nhật ký máy chủ)</td></tr>
</table></section>
{"".join(_operation(m, p, op, prefix, components) for m, p, op in operations)}
<section id="thao-tac"><h2>Thao tác trên nhiệm vụ</h2>
<p><code>POST {html.escape(prefix)}/tasks/{{id}}/actions/{{action}}</code> với dữ liệu của thao tác. Thao tác
nào tài khoản làm được lúc này, ở luồng (<code>flow_id</code>) và bước (<code>transition</code>) nào: xem
<code>actions</code> trong <code>GET {html.escape(prefix)}/tasks/{{id}}</code>. Gửi kèm
<code>expected_version</code> (hoặc <code>If-Match: "N"</code>) để không ghi đè thay đổi của người khác.</p>
<table><tr><th>action</th><th>Thao tác</th><th>Mô hình</th><th>Trường</th></tr>{actions}</table></section>
</main></body></html>"""
