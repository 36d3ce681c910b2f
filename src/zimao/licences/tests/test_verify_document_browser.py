"""A person checks a licence PDF they were sent: upload it on the verification site and read
whether it is genuine and current; a doctored copy is refused in plain words."""

from __future__ import annotations

import pytest

from zimao.licences import pdf

from .conftest import HOLDER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_signed_licence_then_a_doctored_copy(page, settings, tmp_path, django_user_model):
    from zimao.licences import services

    settings.ZIMAO_PKI_DIR = str(tmp_path / "pki")
    cred = services.issue_credential(
        kind="business_licence",
        title_zh="营业执照",
        title_en="Business licence",
        holder_uscc=HOLDER,
        holder_name="示例科技有限公司",
        subject={"name": "示例科技有限公司"},
        actor="system:test",
    )
    data = pdf.render_pdf(cred)
    page.goto(f"/verify/{cred.identifier}/")
    page.get_by_role("link", name="上传 PDF 文件核验电子签名").click()
    page.set_input_files("#document", files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": data}])
    page.get_by_role("button", name="核验").click()
    verdict = page.get_by_role("status")
    assert "真实有效" in verdict.inner_text() and cred.issuer_name in verdict.inner_text()
    at = data.index(b"stream") + 20
    doctored = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    page.set_input_files(
        "#document", files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": doctored}]
    )
    page.get_by_role("button", name="核验").click()
    assert "无法核验" in page.get_by_role("status").inner_text()
    page.set_input_files("#document", files=[{"name": "photo.pdf", "mimeType": "application/pdf", "buffer": b"GIF89a"}])
    page.get_by_role("button", name="核验").click()
    summary = page.get_by_role("alert")
    assert "文件内容不是 PDF" in summary.inner_text()
    assert page.console_errors == []
