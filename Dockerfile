# syntax=docker/dockerfile:1
# Build stage: dependencies first (cached while only the source changes), then the project itself.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE ./
# Install only the dependencies listed in pyproject.toml, without the source.
RUN python - <<'PY' > /tmp/requirements.txt
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["postgres"]))
PY
RUN pip install -r /tmp/requirements.txt
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-deps .

# Run stage: the virtualenv and the example config/events, as a non-root user; the database on a volume.
FROM python:3.11-slim
# git: the bot clones and fetches the group's events repository (events_repo) with the git command line
RUN apt-get update \
    && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
    && rm -rf /var/lib/apt/lists/*
# /data holds the database and, with events_repo, the clone (set events_repo.clone_dir: /data/repo)
RUN useradd --create-home --uid 10001 meetup && mkdir -p /data/repo && chown -R meetup /data
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# writable by the bot: the default events_repo.clone_dir (repo/, beside config.yaml) and its lock file
RUN chown meetup /app
COPY --chown=meetup config.yaml ./
COPY --chown=meetup events ./events
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MEETUP_BOT_CONFIG=/app/config.yaml \
    MEETUP_BOT_DATABASE_URL=sqlite+aiosqlite:////data/meetup.db
VOLUME ["/data"]
# the webhook, when config.yaml sets http.listen: 0.0.0.0:8080
EXPOSE 8080
USER meetup
ENTRYPOINT ["meetup-bot"]
CMD ["run"]
