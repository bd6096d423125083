# One image per service: docker build --build-arg SERVICE=sales -t crm-sales .
FROM python:3.11-slim AS base
ARG SERVICE
ENV PYTHONUNBUFFERED=1 UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared shared
COPY services services
COPY deploy/local deploy/local
RUN uv sync --frozen --no-dev --package crm-${SERVICE}
ENV PATH=/app/.venv/bin:$PATH SERVICE=${SERVICE}
USER nobody
CMD ["sh", "-c", "exec crm-${SERVICE}"]
