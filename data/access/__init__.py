"""Access control: accounts, passwords, logins with a lockout, sessions, scopes, unmasking, audit.

The served app signs a user in with :func:`authenticate`, keeps them signed in with
:func:`start_session` / :func:`resolve_session` / :func:`end_session`, and reads data with
``scope_for(account)``: city leaders, analysts and data administrators see every region, a
county official their county, an embed viewer the prefecture or their county with small household
counts suppressed, anyone else nothing.  Personal data leaves ``data`` masked; a data
administrator may see one record unmasked with :func:`unmask_record`.  Every login, failure,
lockout, logout, user change and unmasking writes an ``audit_log`` row, and every export one
through :func:`record_export` (imports and score edits write theirs in their own transactions);
:func:`audit_frame` reads them back, scoped.
"""

from .accounts import (CITY_ROLES, COUNTY_ROLES, EMBED_ROLES, IMPORT_ROLES, UNMASK_ROLES, Account, UserError,
                       normalise_username, scope_for)
from .audit import EXPORT_SURFACES, audit_frame, record_export, short_detail
from .login import LOCKOUT_WINDOW, MAX_FAILURES, AuthResult, authenticate
from .passwords import (DEFAULT_PARAMETERS, MIN_LENGTH, PasswordPolicyError, ScryptParameters,
                        check_password_policy, hash_parameters, hash_password, needs_rehash, verify_password)
from .sessions import IDLE_TIMEOUT, TOUCH_INTERVAL, end_session, end_user_sessions, resolve_session, start_session
from .unmask import MIN_REASON, UnmaskedRecord, unmask_record
from .users import (UserRepository, add_user, change_password, check_new_user, disable_user, enable_user,
                    get_user, users_frame)

__all__ = [
    "CITY_ROLES", "COUNTY_ROLES", "IMPORT_ROLES", "DEFAULT_PARAMETERS", "EMBED_ROLES", "EXPORT_SURFACES", "IDLE_TIMEOUT",
    "LOCKOUT_WINDOW", "MAX_FAILURES", "MIN_LENGTH", "MIN_REASON", "TOUCH_INTERVAL", "UNMASK_ROLES", "Account",
    "AuthResult", "PasswordPolicyError", "ScryptParameters", "UnmaskedRecord", "UserError", "UserRepository",
    "add_user", "audit_frame", "authenticate", "change_password", "check_new_user", "check_password_policy",
    "disable_user", "enable_user", "end_session", "end_user_sessions", "get_user", "hash_parameters",
    "hash_password", "needs_rehash", "normalise_username", "record_export", "resolve_session", "scope_for",
    "short_detail", "start_session", "unmask_record", "users_frame", "verify_password",
]
