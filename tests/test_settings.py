"""Settings come from the environment, read in one place, and every variable is documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ENV_READ = re.compile(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def documented_variables() -> set[str]:
    names = set()
    for line in (REPO / ".env.example").read_text().splitlines():
        m = re.match(r"^([A-Z][A-Z0-9_]+)=", line)
        if m:
            names.add(m.group(1))
    return names


def test_every_variable_settings_read_is_in_env_example_with_a_comment():
    read = set(ENV_READ.findall((REPO / "polyglot_dtp" / "settings.py").read_text()))
    assert read, "the pattern found no env() calls"
    assert read - documented_variables() == set()
    lines = (REPO / ".env.example").read_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            assert lines[i - 1].startswith("#"), f".env.example: {line.split('=')[0]} has no comment above it"


def settings_in_subprocess(env: dict[str, str], expr: str) -> str:
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='polyglot_dtp.settings'; " \
           f"from django.conf import settings; print({expr})"
    base = {"PATH": "/usr/bin:/bin", "DTP_DATA_DIR": env.pop("DTP_DATA_DIR")}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**base, **env}, capture_output=True,
                          text=True, check=True).stdout.strip()


def test_sqlite_in_the_data_dir_is_the_default_and_a_secret_key_is_generated_once(tmp_path):
    engine = settings_in_subprocess({"DTP_DATA_DIR": str(tmp_path)},
                                    "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME']")
    assert engine == f"polyglot_dtp.db.sqlite3 {tmp_path}/db.sqlite3"  # Django's backend, folder made on connect
    assert not (tmp_path / "secret_key").exists()  # reading settings writes nothing; the key is made when used
    first = settings_in_subprocess({"DTP_DATA_DIR": str(tmp_path)}, "settings.SECRET_KEY")
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 40 and first == key
    assert settings_in_subprocess({"DTP_DATA_DIR": str(tmp_path)}, "settings.SECRET_KEY") == key


def test_database_url_selects_postgresql(tmp_path):
    out = settings_in_subprocess(
        {"DTP_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://dtp:pw@db.internal:5433/registry"},
        "sorted((k, v) for k, v in settings.DATABASES['default'].items() if k in ('ENGINE','HOST','PORT','NAME'))")
    assert out == ("[('ENGINE', 'django.db.backends.postgresql'), ('HOST', 'db.internal'), ('NAME', 'registry'), "
                   "('PORT', 5433)]")


def test_postgresql_connections_come_from_a_pool_not_one_per_asgi_thread(tmp_path):
    env = {"DTP_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://dtp:pw@db.internal:5433/registry"}
    expr = "(settings.DATABASES['default']['CONN_MAX_AGE'], settings.DATABASES['default'].get('OPTIONS', {}).get('pool'))"
    assert settings_in_subprocess(dict(env), expr) == "(0, {'min_size': 1, 'max_size': 10, 'timeout': 30})"
    assert settings_in_subprocess({**env, "DTP_DB_POOL_SIZE": "0"}, expr) == "(0, None)"
