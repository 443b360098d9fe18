# syntax=docker/dockerfile:1
# Build stage: dependencies first (cached while only the source changes), then the project itself.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE ./
# Install only the dependencies listed in pyproject.toml, without the source.
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print(*p['dependencies'], *p['optional-dependencies']['postgres'], sep='\n')" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-deps .

# Run stage: the virtualenv only, as the non-root user 10001; config and data come from outside.
FROM python:3.11-slim
# git: the bot clones and fetches the group's events repository (events_repo) with the git command line
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
    && rm -rf /var/lib/apt/lists/*
# /data holds the database and, with events_repo, the clone (set events_repo.clone_dir: /data/repo);
# a bind-mounted /data must be writable by uid 10001 (chown 10001 DIR on the host)
RUN useradd --create-home --uid 10001 meetup && mkdir -p /data/repo && chown -R meetup /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# writable by the bot: the default events_repo.clone_dir (repo/, beside config.yaml) and its lock file.
# No config is baked in (no example guild ids): mount yours at /app/config.yaml, events at /app/events.
RUN chown meetup /app
# a switch, not a secret: without $DISCORD_TOKEN the container exits 2 instead of starting the sandbox
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MEETUP_BOT_CONFIG=/app/config.yaml \
    MEETUP_BOT_DATABASE_URL=sqlite+aiosqlite:////data/meetup.db \
    MEETUP_BOT_REQUIRE_TOKEN=1
VOLUME ["/data"]
# the bot's HTTP server (/healthz, the webhook): set http.listen: 0.0.0.0:8080 in config.yaml
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
USER 10001
ENTRYPOINT ["meetup-bot"]
CMD ["run"]
