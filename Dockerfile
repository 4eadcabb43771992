# syntax=docker/dockerfile:1
# The polyglot-dtp application image: the web server, the scanner, the ingest, the MQTT
# simulator and the twin stacks all run from it (compose.yaml, k8s/). Two stages: the first
# builds the virtualenv (and may compile), the second copies it onto a clean slim image that
# has no compiler, and runs as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
# A compiler only for dependencies without a wheel on this platform; it stays in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Exactly the pinned, hash-checked dependencies of requirements.lock (`make lock` writes it); the
# project's own code runs from /app (settings resolve twins/ and data-storage/ from the source tree).
COPY requirements.lock ./
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --require-hashes --no-deps -r requirements.lock

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=polyglot_dtp.settings \
    DTP_DATA_DIR=/var/lib/dtp
RUN groupadd --system --gid 10001 dtp \
 && useradd --system --uid 10001 --gid dtp --no-create-home --home-dir /app --shell /usr/sbin/nologin dtp \
 && mkdir -p /var/lib/dtp/fleet \
 && chown -R dtp:dtp /var/lib/dtp
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Code owned by root, read-only for the app user; only DTP_DATA_DIR is writable.
COPY . /app
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
# The web process as `make run` starts it (supervisor.web_argv), trusting forwarded headers only from
# DTP_TRUSTED_PROXIES.
CMD ["python", "-m", "polyglot_dtp.web", "--host", "0.0.0.0", "--port", "8000"]
