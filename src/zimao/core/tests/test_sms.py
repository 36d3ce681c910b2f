"""The SMS gateway interface: a pluggable backend, a sandbox that keeps numbers protected."""

import logging

import pytest
from django.test import override_settings

from zimao.core import sms
from zimao.core.models import SandboxSms

pytestmark = pytest.mark.django_db


def test_sandbox_keeps_the_message_with_the_number_protected():
    sms.send_sms("13800138000", "您的确认码 123456", purpose="intake.confirm", secret=True)
    row = SandboxSms.objects.get()
    assert "13800138000" not in row.phone_encrypted
    assert row.phone_masked != "13800138000" and row.phone_masked.startswith("138")
    assert row.text == "您的确认码 123456" and row.purpose == "intake.confirm"
    assert list(sms.sandbox_messages(to="13800138000")) == [row]
    assert list(sms.sandbox_messages(to="13900139000")) == []


@pytest.mark.parametrize("bad", ["", "12345", "23800138000", "1380013800x", "138001380001"])
def test_a_number_that_is_not_a_mobile_number_is_refused(bad):
    with pytest.raises(ValueError):
        sms.send_sms(bad, "x")
    assert not SandboxSms.objects.exists()


@override_settings(SMS_BACKEND="zimao.core.sms.LogGateway")
def test_the_log_gateway_never_logs_a_secret_or_the_whole_number(caplog):
    with caplog.at_level(logging.INFO, logger="zimao.sms"):
        sms.send_sms("13800138000", "code 654321", purpose="intake.confirm", secret=True)
        sms.send_sms("13800138000", "案件已办结", purpose="case.decided")
    text = caplog.text
    assert "654321" not in text and "13800138000" not in text
    assert "案件已办结" in text
    assert not SandboxSms.objects.exists()
