"""The API docs without a CDN: Swagger UI at /docs and ReDoc at /redoc, their scripts and
styles served from the assets the fastapi-offline wheel ships (no network at run time);
and the start page at / that links to the pages and the docs."""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import Public
from core.errors import NotFound

ASSETS = Path(fastapi_offline.__file__).parent / "static"
# the only files /docs-assets/{name} serves, with their media types
SERVED = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "redoc.standalone.js": "text/javascript", "favicon.png": "image/png"}
TITLE = "智策 Zhice API"
router = APIRouter(tags=["docs"], dependencies=[Public], include_in_schema=False)


ASSET = "/docs-assets/"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui() -> HTMLResponse:
    """Swagger UI over /openapi.json, from local assets."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json", title=f"{TITLE} · Swagger UI", swagger_favicon_url=f"{ASSET}favicon.png",
        swagger_js_url=f"{ASSET}swagger-ui-bundle.js", swagger_css_url=f"{ASSET}swagger-ui.css",
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc() -> HTMLResponse:
    """ReDoc over /openapi.json, from local assets (no web fonts)."""
    return get_redoc_html(openapi_url="/openapi.json", title=f"{TITLE} · ReDoc", redoc_js_url=f"{ASSET}redoc.standalone.js", redoc_favicon_url=f"{ASSET}favicon.png", with_google_fonts=False)


@router.get("/docs-assets/{name}")
def docs_asset(name: str) -> FileResponse:
    """One of the shipped docs assets; a name not on the list is a 404, never a path."""
    media_type = SERVED.get(name)
    if media_type is None:
        raise NotFound(f"/docs-assets/ 只提供 {'、'.join(SERVED)}。")
    return FileResponse(ASSETS / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})


START_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>智策 Zhice</title>
<style>
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933;line-height:1.6}
h1{font-size:1.6rem;margin-bottom:.2rem}p.lead{color:#52606d;margin-top:0}
ul{list-style:none;padding:0}li{margin:.6rem 0;padding:.7rem 1rem;border:1px solid #e4e7eb;border-radius:8px}
a{color:#0b69a3;font-weight:600;text-decoration:none}a:hover,a:focus{text-decoration:underline}
span{display:block;color:#52606d;font-size:.92rem}
</style></head><body>
<h1>智策 Zhice</h1>
<p class="lead">销售对话 AI 副驾：合规话术建议、竞品应对、合同风险，附可审计的账本。</p>
<ul>
<li><a href="/sidebar">销售侧栏</a><span>对话中按「智策」，得到三条合规建议和一张对比图。</span></li>
<li><a href="/annotate">标注</a><span>标注员为脱敏对话片段打标签。</span></li>
<li><a href="/review">法务审核</a><span>审核标注后的片段与话术，通过后进入知识池。</span></li>
<li><a href="/audit">审计报告</a><span>季度人机协作报告：采纳与修改、校准、偏差。</span></li>
<li><a href="/docs">接口文档（Swagger UI）</a><span>可直接试调用；需要在 Authorize 中填入 API 密钥。</span></li>
<li><a href="/redoc">接口文档（ReDoc）</a><span>便于阅读的完整接口说明。</span></li>
</ul>
<p class="lead">健康检查：<a href="/healthz">/healthz</a> · 指标：/metrics（需要密钥）</p>
</body></html>"""


@router.get("/", response_class=HTMLResponse)
def start_page() -> HTMLResponse:
    """Links to the pages and the docs."""
    return HTMLResponse(START_PAGE)
