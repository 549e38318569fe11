# lsrules serve in a container: the webhook service, with the stream rules' runtime and the
# PostgreSQL store. docs/serve.md shows how to run it.
#
#   docker build -t lsrules .
#   docker run -p 8089:8089 -v "$PWD:/project:ro" -v lsrules-data:/data \
#     -e LABEL_STUDIO_URL -e LABEL_STUDIO_API_KEY -e LSRULES_WEBHOOK_SECRET lsrules

# Wheels are built in a stage with a compiler (durable-rules, the stream extra, ships only
# as source), so the image that runs has none.
FROM python:3.11-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY src ./src
RUN CPPFLAGS=-O2 pip wheel --no-cache-dir --wheel-dir /wheels '.[labelstudio,stream,postgres]'

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels \
        'lsrules[labelstudio,stream,postgres]' \
    && rm -rf /wheels \
    && useradd --system --create-home --uid 10001 lsrules \
    && mkdir /data && chown lsrules /data
USER lsrules
# The project (lsrules.toml and its rulesets) is mounted here, read-only; the store lives in
# the /data volume; the ruleset cache in a directory the service may write.
WORKDIR /project
VOLUME /data
ENV LSRULES_CACHE_DIR=/tmp/lsrules-cache
EXPOSE 8089
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8089/health', timeout=4)"]
# lsrules is process 1: SIGTERM (docker stop) stops it cleanly, SIGHUP reloads the rulesets.
ENTRYPOINT ["lsrules"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8089", "--store", "/data/lsrules.sqlite"]
