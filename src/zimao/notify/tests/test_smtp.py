"""E-mail to a real SMTP server: ``aiosmtpd`` listens on a free localhost port, Django's SMTP
backend sends to it, and the engine drives a case to "correction requested" and to "decided"."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller

from zimao.cases import services as engine
from zimao.testing import submit


class Mailbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.original_content, policy=email_policy.default))
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "zimao <noreply@zimao.test>"
    yield mailbox
    controller.stop()


def test_correction_and_decision_arrive_at_the_smtp_server(zone, smtp_server):
    applicant = zone.applicant
    applicant.email = "li.ming@example.cn"
    applicant.save(update_fields=["email"])
    case = submit(applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")

    engine.decide(task.pk, zone.reviewer, "correct", "请补充章程第五条")
    [(to, message)] = smtp_server.received
    assert to == ["li.ming@example.cn"]
    assert message["From"] == "zimao <noreply@zimao.test>"
    assert (
        message["Subject"].strip()
        == f"办件 {case.number} 需要您补正材料 / Case {case.number}: please correct your application"
    )
    body = message.get_content()
    assert "补正要求：请补充章程第五条" in body and "What is needed: 请补充章程第五条" in body
    assert body.index("补正要求") < body.index("What is needed")

    engine.answer_correction(case.number, applicant, "已补充第五条")
    engine.decide(task.pk, zone.reviewer, "refuse", "名称与在先登记的企业近似")
    assert len(smtp_server.received) == 2
    _to, refusal = smtp_server.received[1]
    assert refusal["Subject"].strip() == f"办件 {case.number} 不予许可 / Case {case.number} was refused"
    assert "理由：名称与在先登记的企业近似" in refusal.get_content()
