#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, on a Unix socket only.
#
#   scripts/pg-scratch.sh start DIR   # prints the admin URL on stdout
#   scripts/pg-scratch.sh stop DIR    # stops it and removes DIR
#
# Typical use:
#   export TELLTALE_TEST_POSTGRES=$(scripts/pg-scratch.sh start /tmp/ttpg)
#   cargo test --release -p telltale-store-postgres
#   scripts/pg-scratch.sh stop /tmp/ttpg
#
# Uses Debian's PostgreSQL binaries (/usr/lib/postgresql/*/bin, the newest
# version present). The cluster trusts local connections, listens on no TCP
# address and runs with fsync off: it is for tests, never for data. initdb
# refuses to run as root, so as root the server runs as the `postgres`
# system user (which Debian's package creates) and DIR is made its own.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || ! [ -x "$bindir/initdb" ]; then
    echo "$0: no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
    exit 1
fi

# Run a server command as the user who owns the cluster.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ -e "$dir/data/PG_VERSION" ]; then
        echo "$0: $dir already holds a cluster (stop it first)" >&2
        exit 1
    fi
    if [ "$(id -u)" -eq 0 ]; then
        if ! id postgres >/dev/null 2>&1; then
            echo "$0: running as root needs the postgres system user (apt-get install postgresql)" >&2
            exit 1
        fi
        chown postgres: "$dir"
    fi
    chmod 700 "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >/dev/null || {
        cat "$dir/server.log" >&2
        exit 1
    }
    echo "postgres://postgres@localhost/postgres?host=$dir"
    ;;
stop)
    if [ -d "$dir/data" ]; then
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    usage
    ;;
esac
