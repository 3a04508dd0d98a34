-- 1: the registry as SQLite's schema 6 has it: documents and the shingles
-- that locate them, recipients and lists, issuances, traces, the audit log
-- and its guards, the files documents were registered from, values kept
-- once for the registry, and the server's accounts, sessions, API tokens,
-- reading-room links and sign-in attempts.
--
-- Identifiers and names are COLLATE "C" so that every list comes back in
-- byte order, as SQLite's BINARY collation and Rust's string order give it.
-- Timestamps are seconds since the epoch (BIGINT); JSON is kept as TEXT,
-- never jsonb, so that it reads back byte for byte.

CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);

CREATE TABLE meta (
    name TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE documents (
    id TEXT COLLATE "C" PRIMARY KEY,
    title TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    template TEXT NOT NULL,
    code_params TEXT NOT NULL,
    rules TEXT NOT NULL,
    words BIGINT NOT NULL,
    slots BIGINT NOT NULL,
    source_format TEXT NOT NULL DEFAULT 'txt'
);

-- u64 shingle hashes, bit-cast to BIGINT; each distinct hash once per
-- document.
CREATE TABLE shingles (
    document_id TEXT COLLATE "C" NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    hash BIGINT NOT NULL,
    PRIMARY KEY (document_id, hash)
);
CREATE INDEX shingles_hash ON shingles(hash, document_id);

CREATE TABLE sources (
    document_id TEXT COLLATE "C" PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    bytes BYTEA NOT NULL
);

CREATE TABLE recipients (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT
);

CREATE TABLE lists (name TEXT COLLATE "C" PRIMARY KEY);
CREATE TABLE list_members (
    list TEXT COLLATE "C" NOT NULL REFERENCES lists(name) ON DELETE CASCADE,
    recipient_id TEXT COLLATE "C" NOT NULL REFERENCES recipients(id),
    position BIGINT NOT NULL,
    PRIMARY KEY (list, recipient_id)
);

CREATE TABLE issuances (
    document_id TEXT COLLATE "C" NOT NULL REFERENCES documents(id),
    recipient_id TEXT COLLATE "C" NOT NULL REFERENCES recipients(id),
    format TEXT NOT NULL DEFAULT 'txt',
    issued_at BIGINT NOT NULL,
    path TEXT,
    content_hash TEXT NOT NULL,
    recipient_name TEXT,
    PRIMARY KEY (document_id, recipient_id)
);

-- Ids are given as SQLite gives its rowids (one more than the largest),
-- under the write lock, so that a rolled-back trace leaves no gap.
CREATE TABLE traces (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    input_hash TEXT NOT NULL,
    input_bytes BIGINT NOT NULL,
    result TEXT NOT NULL,
    -- The traced text as UTF-8 bytes: a leak may hold characters (NUL)
    -- that a TEXT column refuses.
    input BYTEA
);

CREATE TABLE audit (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

-- The audit log is append-only: updating, deleting and truncating are
-- refused by the database itself. ENABLE ALWAYS makes the guards fire in
-- replication mode too (session_replication_role = replica would
-- otherwise skip them).
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_no_update;
ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_no_delete;
ALTER TABLE audit ENABLE ALWAYS TRIGGER audit_no_truncate;

CREATE TABLE users (
    name TEXT COLLATE "C" PRIMARY KEY,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE
);

-- `user` is a reserved word in PostgreSQL: the owner is `user_name`.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_name);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE api_tokens (
    id TEXT COLLATE "C" PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_name TEXT NOT NULL REFERENCES users(name),
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE links (
    id TEXT COLLATE "C" PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    document_id TEXT COLLATE "C" NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    recipient_id TEXT COLLATE "C" NOT NULL REFERENCES recipients(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    views BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX links_document ON links(document_id, recipient_id, created_at);

CREATE TABLE sign_in_attempts (
    id BIGINT PRIMARY KEY,
    attempt BIGINT NOT NULL,
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX sign_in_attempts_key ON sign_in_attempts(key, at);
CREATE INDEX sign_in_attempts_at ON sign_in_attempts(at);
CREATE INDEX sign_in_attempts_attempt ON sign_in_attempts(attempt);
