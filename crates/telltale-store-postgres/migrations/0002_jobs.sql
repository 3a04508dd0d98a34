-- 2: background jobs (SQLite's schema 7), so that any server process can
-- report on one and another can finish it if the one running it stops.
-- Ids are given as SQLite gives its rowids, under the write lock.
CREATE TABLE jobs (
    id BIGINT PRIMARY KEY,
    owner TEXT NOT NULL,
    kind TEXT NOT NULL,
    document TEXT NOT NULL,
    request TEXT,
    output TEXT NOT NULL,
    worker TEXT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    error TEXT
);
CREATE INDEX jobs_unfinished ON jobs(finished_at, heartbeat_at);
