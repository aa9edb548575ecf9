"""The alert e-mail: plain text in Chinese and English, with no personal data.

It names the pseudonym, the institution, what happened and when (in the region's time zone),
and links to the admin UI's alert list; nothing from the student's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

WHAT = {
    "breakglass_released": ("紧急放行（未经同意）已开启，等待协调员审核",  # noqa: RUF001
                            "A break-glass release (without consent) was opened; "
                            "it waits for a coordinator's review"),
    "sla_breached": ("绿色通道转介超过了承诺时限",
                     "A green-channel referral missed its deadline"),
    "crisis_review_overdue": ("危机级学生的研判已过期", "A crisis-tier review is overdue"),
    "handed_back": ("医院已将学生交回学校，请安排回访",  # noqa: RUF001
                    "A hospital handed a student back to the school; plan the follow-up"),
}


@dataclass(frozen=True)
class AlertMail:
    """What an alert e-mail says (already free of personal data)."""

    alert_id: str
    kind: str
    institution: str | None
    pseudonym: str | None
    raised_at: str  # formatted in the region's time zone
    link: str


def render(mail: AlertMail, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail for ``mail``, from ``sender`` to ``recipients``."""
    zh, en = WHAT[mail.kind]
    message = EmailMessage()
    message["Subject"] = f"[流转网关 Gateway] {zh} / {en}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Message-ID"] = f"<alert-{mail.alert_id}@circulation-gateway>"
    lines = [
        f"{zh}。", f"{en}.", "",
        f"机构 Institution: {mail.institution or '-'}",
        f"化名 Pseudonym: {mail.pseudonym or '-'}",
        f"时间 Time: {mail.raised_at}",
        "",
        f"请在管理界面查看并确认 / See and acknowledge it in the admin UI: {mail.link}",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message
