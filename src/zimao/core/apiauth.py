"""API authentication: a logged-in browser session (with CSRF) or a bearer access token.

Tokens are stored only as SHA-256 digests, so a database leak does not leak usable tokens.
"""

from __future__ import annotations

import hashlib

from ninja.security import APIKeyCookie, HttpBearer


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        from zimao.core.models import ApiToken

        found = ApiToken.objects.select_related("user").filter(digest=token_digest(token), revoked=False).first()
        if found and found.user.is_active:
            request.user = found.user
            return found.user
        return None


class SessionAuth(APIKeyCookie):
    """Django session, with the CSRF check django-ninja performs for cookie auth."""

    param_name = "sessionid"

    def __call__(self, request):
        # No session user: this scheme does not apply, so the answer is 401 "log in", not a 403
        # "CSRF check failed" for a request that never had a session to forge.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


def ApiKeyOrSession():
    return [BearerToken(), SessionAuth(csrf=True)]


def issue_token(user, name: str = "api") -> str:
    """A new bearer token for ``user``; shown once, stored only as its digest."""
    import secrets

    from zimao.core.models import ApiToken

    token = "zm_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name[:100], digest=token_digest(token))
    return token
