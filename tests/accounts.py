"""One account per role on a copy of the sample school marked as real data (so the sign-in gate is on).

Shared by the role tests (AppTest) and the browser tests; the OpenID settings a
test sets as ``st.secrets`` to switch on Microsoft or Google sign-in.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from data import db, users

PASSWORD = "correct horse battery"
# One account per role on the signed-in app: role -> (email, scope)
ACCOUNTS = {
    "admin": ("admin@school.example", {}),
    "leader": ("leader@school.example", {}),
    "pastoral": ("pastoral@school.example", {"year_groups": [8]}),
    "governor": ("governor@school.example", {}),
}
OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-not-for-production",
        "microsoft": {
            "client_id": "client",
            "client_secret": "secret",
            "server_metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
        },
    }
}


def school_with_accounts(sample_db: Path, path: Path) -> Path:
    """Copy the sample school to ``path``, mark it as a real school's data and add ``ACCOUNTS``."""
    shutil.copy(sample_db, path)
    with db.connection(path) as con:
        con.execute("UPDATE schools SET is_sample = FALSE")
        for role, (email, scope) in ACCOUNTS.items():
            users.add_user(con, email, role, password=PASSWORD, **scope)
    return path
