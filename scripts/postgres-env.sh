# Sourced: makes PostgreSQL reachable on 127.0.0.1:5432 with a database "test" and exports
# MOBILEID_TEST_POSTGRES_URL for the issuer's tests. Starts the local cluster if it is not running.
if [ -z "${MOBILEID_TEST_POSTGRES_URL:-}" ]; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1; then
      ver=$(ls /etc/postgresql | sort -n | tail -1)
      pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
      su postgres -c "psql -qc \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
    fi
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null | grep -q 1 \
      || PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE test" 2>/dev/null || true
    export MOBILEID_TEST_POSTGRES_URL="postgresql+psycopg://postgres:postgres@127.0.0.1:5432/test"
  else
    echo "warning: PostgreSQL is not reachable; the issuer tests run on SQLite only" >&2
  fi
fi
