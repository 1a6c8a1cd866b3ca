# sgdlab service image: the API (`sgdlab serve`) and, with the same code, Dask scheduler and workers.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
RUN pip install ".[dask]"
ENV SGDLAB_HOST=0.0.0.0 SGDLAB_PORT=8000 SGDLAB_DATA_DIR=/data MPLBACKEND=Agg
VOLUME ["/data"]
EXPOSE 8000
# the API's check; docker-compose.yml gives the Dask scheduler and workers their own (they do not serve port 8000)
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"
CMD ["sgdlab", "serve"]
