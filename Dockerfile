# medcom-adapter's service image: docs/deployment.md says how to run it (non-root, read-only
# root file system, the data directory on a volume). Dependencies come from the hashed lock
# file only; .ci/image-steps runs the same install steps outside a container in CI.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/medcom-adapter \
    && /opt/medcom-adapter/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml setup.py README.md ./
COPY medcom_adapter ./medcom_adapter
COPY xsd ./xsd
COPY profiles ./profiles
COPY fixtures ./fixtures
RUN /opt/medcom-adapter/bin/pip install --no-cache-dir --no-deps .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 medcom \
    && useradd --system --uid 10001 --gid medcom --no-create-home \
       --home-dir /var/lib/medcom-adapter --shell /usr/sbin/nologin medcom \
    && install -d -o medcom -g medcom -m 0700 /var/lib/medcom-adapter
COPY --from=build /opt/medcom-adapter /opt/medcom-adapter
ENV PATH=/opt/medcom-adapter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MEDCOM_DATA_DIR=/var/lib/medcom-adapter
VOLUME ["/var/lib/medcom-adapter"]
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
ENTRYPOINT ["medcom-adapter"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
