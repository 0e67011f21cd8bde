"""Settings from the environment (and a ``.env`` file), validated once at the edge."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from dotenv import dotenv_values
from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_WORKBOOK = REPO_ROOT / "data" / "sample" / "cchc-2026-mau.xlsx"
DEFAULT_PLAN = REPO_ROOT / "config" / "plan-2026.yaml"
TIMEZONE = "Asia/Ho_Chi_Minh"


class Settings(BaseSettings):
    """Every setting of DESIGN §6. Secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="CCHC_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    source: str = Field(default=str(SAMPLE_WORKBOOK))
    plan: Path = DEFAULT_PLAN
    output_dir: Path = Path("var")
    # Where runs share their logs, snapshots and reports (DESIGN §8): a folder or an fsspec URL
    # such as s3://bucket/cchc. Unset: the output folder itself (one machine).
    storage: str | None = None
    google_credentials: Path | None = Field(
        default=None, validation_alias="GOOGLE_APPLICATION_CREDENTIALS"
    )
    # Name of a Prefect Secret block holding the service-account JSON (instead of a key file).
    google_secret_block: str | None = None
    sheets_endpoint: str | None = None
    # Seconds one Google Sheets call may take, retries and waits included (tests use ~3 s).
    sheets_retry_budget: float = Field(default=120.0, gt=0, le=3600)
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    # Name of a Prefect Secret block holding the SMTP password (instead of CCHC_SMTP_PASSWORD).
    smtp_password_block: str | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    # Extra attempts after a transient SMTP failure (waits 5 s, 15 s, 45 s between them).
    smtp_retries: int = Field(default=3, ge=0, le=3)
    # "Tên <địa chỉ>": the display name units see in their inbox.
    mail_from: str = "Văn phòng Sở Xây dựng Đắk Lắk <vanphong@sxd.daklak.gov.vn>"

    # --- The province (docs/province.md) ---------------------------------------------------
    # One agency's identity and addresses (JSON), set by its deployment from the agencies file;
    # unset: the plan file's agency, as for a single agency.
    agency: str | None = None
    # Google's Sheets quota, shared by every run on the Prefect server through a global rate
    # limit: at most ``sheets_quota`` read (and, separately, write) requests in any
    # ``sheets_quota_seconds`` (Google: 60 per minute per user). 0 = no limit.
    sheets_quota: int = Field(default=60, ge=0)
    sheets_quota_seconds: float = Field(default=60.0, gt=0)
    # Seconds a run may wait for its turn under that limit before it gives up.
    sheets_quota_wait: float = Field(default=1800.0, gt=0)
    # Name prefix of the limits (``<prefix>-doc-reads``, ``<prefix>-doc-writes``).
    sheets_rate_limit: str = "google-sheets"

    @property
    def sends_mail(self) -> bool:
        """No SMTP host means the outbox: e-mails are written as .eml files."""
        return bool(self.smtp_host)


def _export_storage_settings(env_file: Path = Path(".env")) -> None:
    """The storage library's own settings written in ``.env`` (``AWS_ENDPOINT_URL``,
    ``AWS_ACCESS_KEY_ID``…: s3fs reads only the environment) reach it, as the systemd units'
    ``EnvironmentFile=`` would; the environment's own values win."""
    if not env_file.is_file():
        return
    for name, value in dotenv_values(env_file).items():
        if name.startswith(("AWS_", "FSSPEC_")) and value is not None:
            os.environ.setdefault(name, value)


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with CLI overrides (None values are ignored)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    _export_storage_settings()
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as err:
        bad = ", ".join(
            "CCHC_" + str(e["loc"][0]).upper() if e["loc"] else "?" for e in err.errors()
        )
        raise SettingsError(f"Cấu hình môi trường không hợp lệ: {bad}. Kiểm tra tệp .env.") from err
