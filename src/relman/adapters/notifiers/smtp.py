"""Email over SMTP (stdlib smtplib): plain, STARTTLS or implicit TLS, login when configured.

The password is read from the environment variable named by ``password_env`` at send time and
never appears in any output: errors are masked. A server that is down or answers 4xx is an
IntegrationError (the outbox retries); a refused login or a 5xx-refused address is a
ConfigError (the row is dead until ``relman notify retry --all``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate

from relman.adapters.notifiers._common import mask_secrets, read_secret
from relman.errors import ConfigError, IntegrationError
from relman.ports import NotificationMessage


class SmtpNotifier:
    """Sends each message as one email to its addresses."""

    def __init__(
        self,
        *,
        channel: str,
        host: str,
        port: int,
        sender: str,
        tls: str = "none",
        username: str | None = None,
        password_env: str = "RELMAN_SMTP_PASSWORD",
        ca_file: str | None = None,
        timeout: float = 10.0,
        environ: Mapping[str, str],
    ) -> None:
        if tls not in ("none", "starttls", "ssl"):
            raise ConfigError(
                f"unknown tls mode {tls!r}", where=f"notifications.channels.{channel}"
            )
        self.channel = channel
        self.host = host
        self.port = port
        self.sender = sender
        self.tls = tls
        self.username = username
        self.password_env = password_env
        self.ca_file = ca_file
        self.timeout = timeout
        self._environ = environ

    @property
    def target(self) -> str:
        user = f"{self.username}@" if self.username else ""
        mode = {"none": "", "starttls": " (STARTTLS)", "ssl": " (TLS)"}[self.tls]
        return f"smtp://{user}{self.host}:{self.port}{mode}"

    def send(self, message: NotificationMessage) -> None:
        if not message.to:
            raise ConfigError(
                f"no email address for {', '.join(message.recipients) or 'the recipient'}",
                where=f"notification {message.id}",
            )
        password = None
        if self.username:
            password = read_secret(
                self._environ, self.password_env, what="the SMTP password", channel=self.channel
            )
        email = self._build(message)
        try:
            self._deliver(email, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise ConfigError(
                f"SMTP login as {self.username} refused by {self.host}:{self.port}: "
                f"{exc.smtp_code} {_text(exc.smtp_error, password)}",
                where=self.password_env,
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            detail = "; ".join(
                f"{addr}: {code} {_text(err, password)}"
                for addr, (code, err) in exc.recipients.items()
            )
            error = ConfigError if all(c >= 500 for c in codes) else IntegrationError
            raise error(
                f"SMTP server {self.host}:{self.port} refused {detail}", where=self.target
            ) from None
        except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
            raise IntegrationError(
                f"cannot send email through {self.host}:{self.port}: {_describe(exc, password)}",
                where=self.target,
            ) from None

    def _build(self, message: NotificationMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = ", ".join(message.to)
        email["Subject"] = message.title
        email["Date"] = formatdate(localtime=True)
        # the same id on every retry, so a receiver can tell a duplicate
        email["Message-ID"] = f"<{message.id}@relman>"
        email["X-Relman-Event"] = message.event_key
        email["X-Relman-Subject"] = message.subject
        email.set_content(message.body)
        return email

    def _deliver(self, email: EmailMessage, password: str | None) -> None:
        context = ssl.create_default_context(cafile=self.ca_file)
        smtp: smtplib.SMTP
        if self.tls == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with smtp:
            smtp.ehlo()
            if self.tls == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username and password is not None:
                smtp.login(self.username, password)
            smtp.send_message(email)


def _text(value: bytes | str, password: str | None) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return mask_secrets(" ".join(text.split()), [password])


def _describe(exc: BaseException, password: str | None) -> str:
    """``SMTPDataError: 451 4.3.0 try later`` for a server's reply (not the tuple's repr)."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error, password)}"
    text = str(exc).strip()
    described = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return mask_secrets(described, [password])
