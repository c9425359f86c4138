"""The one-line errors: what they show of the place they name."""

from __future__ import annotations

import pytest

from tether.errors import AuditError, BoundError, shown


@pytest.mark.parametrize(
    ("where", "seen"),
    [
        ("https://user:s3cret@host/simple/x", "https://user:****@host/simple/x"),
        ("https://user:p@ss@host:8443", "https://user:****@host:8443"),
        (
            "git+https://tok:x-oauth@host/org/repo@v1#subdirectory=app",
            "git+https://tok:****@host/org/repo@v1#subdirectory=app",
        ),
        ("https://token@host/x", "https://token@host/x"),  # no password to hide
        ("https://host/a@b:c", "https://host/a@b:c"),  # an @ in the path is no userinfo
        ("requirements.txt", "requirements.txt"),
        ("/srv/a:b@c/uv.lock", "/srv/a:b@c/uv.lock"),
    ],
)
def test_a_password_in_a_url_is_not_shown(where: str, seen: str) -> None:
    assert shown(where) == seen


def test_errors_naming_a_url_hide_its_password() -> None:
    url = "https://me:s3cret@osv.example.invalid"
    assert str(AuditError(url, "cannot reach it")) == "https://me:****@osv.example.invalid: cannot reach it"
    assert "s3cret" not in str(BoundError(f"{url}/requirements.txt", "HTTP 404", line=None))
