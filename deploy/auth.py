"""The login of the Prefect API and UI that `make up` starts (used by up.sh).

Prefect's own login: the server requires ``PREFECT_SERVER_API_AUTH_STRING``, every client (the
workers, `prefect deploy`, `cchc`, the UI) sends the same string as ``PREFECT_API_AUTH_STRING``.
Both live in the checkout's ``.env``; Prefect 3.9 reads ``.env`` from the current folder, so every
command started there has them. The first `make up` creates them (a random password), prints the
password once for the IT officer, and never again.

Usage: python deploy/auth.py [--shell] [ENV_FILE]   (ENV_FILE: .env of the current folder)
With --shell (up.sh) it also prints ``export ...`` lines with the values, for the shell to eval;
its messages go to stderr. Without, it only makes the password if there is none (systemd set-up).
"""

from __future__ import annotations

import os
import secrets
import shlex
import stat
import sys
from pathlib import Path

from dotenv import dotenv_values

SERVER = "PREFECT_SERVER_API_AUTH_STRING"
CLIENT = "PREFECT_API_AUTH_STRING"
USER = "cchc"  # the UI takes the whole "user:password" string as its password


def new_auth_string() -> str:
    return f"{USER}:{secrets.token_urlsafe(24)}"


def ensure_auth(env_file: Path) -> tuple[str, str, bool]:
    """(server string, client string, created now). Missing lines are appended to ``env_file``,
    which is kept readable by its owner only (0600). A value set in the environment wins, as it
    does for Prefect."""
    saved = {k: v for k, v in dotenv_values(env_file).items() if v} if env_file.exists() else {}
    server = os.environ.get(SERVER) or saved.get(SERVER)
    client = os.environ.get(CLIENT) or saved.get(CLIENT)
    lines = []
    created = not server
    if not server:
        server = new_auth_string()
        lines.append((SERVER, server))
    if not client:
        client = server
        if not os.environ.get(SERVER):  # a service manager's password stays out of the file
            lines.append((CLIENT, client))
    if lines:
        _append(env_file, lines)
    _owner_only(env_file)
    return server, client, created


def _append(env_file: Path, lines: list[tuple[str, str]]) -> None:
    fd = os.open(env_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        if env_file.stat().st_size and not env_file.read_bytes().endswith(b"\n"):
            out.write("\n")
        out.write("# Đăng nhập Prefect API/giao diện (make up tạo; bí mật, không chia sẻ)\n")
        out.writelines(f"{name}={value}\n" for name, value in lines)


def _owner_only(env_file: Path) -> None:
    if env_file.exists() and stat.S_IMODE(env_file.stat().st_mode) & 0o077:
        env_file.chmod(0o600)
        print(f"Đã đặt quyền 600 cho {env_file} (chỉ chủ sở hữu đọc được).", file=sys.stderr)


def main(argv: list[str]) -> None:
    shell = "--shell" in argv
    names = [a for a in argv if a != "--shell"]
    env_file = Path(names[0] if names else ".env")
    server, client, created = ensure_auth(env_file)
    if created:
        line = "=" * 72
        print(
            f"{line}\n"
            "Đã bật đăng nhập cho giao diện và API Prefect. Mật khẩu (chỉ hiện MỘT lần này):\n\n"
            f"    {server}\n\n"
            "Cán bộ CNTT ghi lại và cất giữ cẩn thận: giao diện hỏi mật khẩu thì nhập nguyên\n"
            f"chuỗi trên. Mật khẩu nằm ở dòng {SERVER} của tệp {env_file}\n"
            "(chỉ tài khoản chạy hệ thống đọc được); không gửi qua thư, không đưa lên kho mã.\n"
            f"{line}",
            file=sys.stderr,
        )
    if shell:
        print(f"export {SERVER}={shlex.quote(server)}")
        print(f"export {CLIENT}={shlex.quote(client)}")


if __name__ == "__main__":
    main(sys.argv[1:])
