# Production image: gunicorn serving the app; MongoDB comes from MONGODB_URI (see docker-compose.yml).
FROM python:3.11-slim

# CJK fonts (Chinese prints as empty boxes without them), HarfBuzz subsetting
# (a CJK PDF takes 0.6 s instead of 13.5 s), Pango for WeasyPrint.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas schemas
COPY service service
COPY pdf_templates pdf_templates
RUN pip install --no-cache-dir .

RUN useradd --create-home --uid 10001 dossier && mkdir -p /data && chown dossier /data
USER dossier
ENV DOSSIER_DATA_DIR=/data DOSSIER_HOST=0.0.0.0 PYTHONUNBUFFERED=1
EXPOSE 8000
# gunicorn with the settings of service/serve.py; the first start prints an admin key once
CMD ["dossier", "serve"]
