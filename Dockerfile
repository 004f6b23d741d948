# Pairwise web app + embedded worker. PostgreSQL via PAIRWISE_DATABASE_URL; data (releases, SQLite) under /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PAIRWISE_DATA_DIR=/data \
    PAIRWISE_HOST=0.0.0.0 \
    PAIRWISE_PORT=8000

WORKDIR /app
RUN groupadd --system pairwise && useradd --system --gid pairwise --home /app pairwise

COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY examples ./examples
# Editable install: the app finds migrations/, templates/ and static/ next to its package. EXTRAS="[train]"
# adds torch/TRL for a GPU worker (compose.yaml's gpu-worker).
ARG EXTRAS=""
RUN pip install -e ".${EXTRAS}"
# The app's bytecode, compiled once here: PYTHONDONTWRITEBYTECODE would have every web process and import
# worker compile it again at each start (an import worker started in 0.2 s instead of 0.11 s).
RUN python -m compileall -q app

RUN mkdir -p /data && chown pairwise:pairwise /data
USER pairwise
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"

# `serve` applies migrations first, then serves; it refuses to start without a strong PAIRWISE_SECRET_KEY.
CMD ["pairwise", "serve"]
