"""Uploads are judged by what they contain, not by their name: PDF, JPEG and PNG only, within the
size limit, and structurally sound (a renamed executable or a truncated file is refused)."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings

from zimao.core.errors import BusinessError, Problem

ACCEPTED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
# A scan of an A4 page at 600 dpi is ~35 megapixels; anything far beyond is a decompression bomb.
MAX_PIXELS = 50_000_000


class _TooManyPixels(Exception):
    pass


@dataclass
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str
    sha256: str
    size: int


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _refuse(field: str, code: str, zh: str, en: str) -> BusinessError:
    return BusinessError(Problem(field, code, zh, en), status=422)


def check_upload(data: bytes, field: str = "file", max_bytes: int | None = None) -> CheckedUpload:
    limit = max_bytes or settings.UPLOAD_MAX_BYTES
    if not data:
        raise _refuse(field, "empty", "文件是空的", "The file is empty")
    if len(data) > limit:
        mb = limit / 1024 / 1024
        raise _refuse(field, "too_large", f"文件不能超过 {mb:.0f} MB", f"The file must be at most {mb:.0f} MB")
    kind = sniff(data[:16])
    if kind is None:
        raise _refuse(
            field,
            "wrong_type",
            "只接受 PDF、JPEG 或 PNG 文件（按文件内容判断，不看扩展名）",
            "Only PDF, JPEG or PNG files are accepted (judged by content, not by the file name)",
        )
    if kind == "application/pdf":
        tail = data[-2048:]
        if b"%%EOF" not in tail or b"obj" not in data:
            raise _refuse(field, "malformed", "PDF 文件不完整或已损坏", "The PDF is incomplete or damaged")
    else:
        from PIL import Image

        try:
            with warnings.catch_warnings():
                # Pillow only *warns* between 1× and 2× its pixel limit: here every bomb is refused.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as img:
                    width, height = img.size
                    if width * height > MAX_PIXELS:
                        raise _TooManyPixels
                    img.verify()
        except (_TooManyPixels, Image.DecompressionBombWarning, Image.DecompressionBombError):
            mp = MAX_PIXELS // 1_000_000
            raise _refuse(
                field,
                "too_many_pixels",
                f"图片像素过多（不能超过 {mp} 百万像素）",
                f"The image has too many pixels (at most {mp} megapixels)",
            ) from None
        except Exception:
            raise _refuse(field, "malformed", "图片文件已损坏", "The image is damaged") from None
    return CheckedUpload(data, kind, ACCEPTED[kind], hashlib.sha256(data).hexdigest(), len(data))
