# The image every Airflow service of docker-compose.yml runs: the official Airflow image of the pinned
# version, the project's pinned dependencies, fonts with Chinese glyphs (the draft's charts and Word file),
# and the project itself in /opt/town-industry. Built by `docker compose build` (README.md).
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei fonts-noto-cjk \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 # mount points of the named volumes, owned by airflow so that the volumes start out writable
 && mkdir -p /opt/airflow/auth /data/deliveries /data/archive /data/work /data/warehouse /data/reports \
 && chown -R airflow:0 /opt/airflow/auth /data

USER airflow
WORKDIR /opt/town-industry
# Dependencies first: this layer is rebuilt only when the pins change.
COPY --chown=airflow:0 requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt
COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 src ./src
# Editable, as make install does: the package finds dags/, sql/, include/ and expectations/ beside src/.
RUN pip install --no-cache-dir --no-deps -e .
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 plugins ./plugins
COPY --chown=airflow:0 sql ./sql
COPY --chown=airflow:0 include ./include
COPY --chown=airflow:0 expectations ./expectations
WORKDIR /opt/airflow
