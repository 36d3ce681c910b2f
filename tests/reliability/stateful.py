"""What the stateful (chained) API fuzzing tests share: the check every answer passes, an API
client for a user, and Hypothesis settings that keep a machine's run short and repeatable."""

from __future__ import annotations

from django.test import Client
from hypothesis import HealthCheck, settings

from zimao.core.apiauth import issue_token


def bilingual_refusal(response) -> None:
    """No 5xx; a refusal names its field with a reason in Chinese and English."""
    assert response.status_code < 500, (response.status_code, response.content[:500])
    if response.status_code >= 400:
        errors = response.json()["errors"]
        assert errors and all(e["field"] and e["message_zh"] and e["message_en"] for e in errors), errors


def client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def machine_settings(max_examples: int, steps: int) -> settings:
    """Derandomised (the same sequences on every run), no example database, no deadline."""
    return settings(
        max_examples=max_examples,
        stateful_step_count=steps,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
