# The mapping page is bundled with Node.js in the first stage; the service needs only Python.
FROM node:20-slim AS page
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN mkdir -p /src/contextgraph/web/static && npm run build

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md hatch_build.py ./
COPY src ./src
COPY cypher ./cypher
COPY --from=page /src/contextgraph/web/static ./src/contextgraph/web/static
RUN pip install --no-cache-dir .
ENTRYPOINT ["contextgraph"]
