-- lever-hooks on PostgreSQL: events, their jobs, dedupe keys, remembered tokens, records.
-- Text keys use the "C" collation so they sort by bytes, as the sled store's keys do.

-- Every stored event. `seq` is the store order; `routed` turns true once its jobs exist.
CREATE TABLE events (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT COLLATE "C" NOT NULL UNIQUE,
    account        TEXT NOT NULL,
    event          TEXT NOT NULL,
    triggered_at   BIGINT NOT NULL,
    received_at    BIGINT NOT NULL,
    envelope_id    TEXT,
    dedupe_key     TEXT NOT NULL,
    opportunity_id TEXT,
    contact_id     TEXT,
    -- `data` exactly as Lever sent it (text, not jsonb, so not a byte changes).
    data           TEXT NOT NULL,
    purged_at      BIGINT,
    routed         BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX events_unrouted ON events (seq) WHERE NOT routed;
CREATE INDEX events_received_at ON events (received_at);
CREATE INDEX events_opportunity ON events (account, opportunity_id);

-- Dedupe keys outlive pruned events: a late redelivery must still be recognised.
CREATE TABLE dedupe_keys (
    account     TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL,
    event_id    TEXT COLLATE "C" NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (account, dedupe_key)
);

-- Lever's per-delivery tokens: the same token with other content is a replay attack.
CREATE TABLE tokens (
    account      TEXT NOT NULL,
    token        TEXT NOT NULL,
    content_hash BYTEA NOT NULL,
    event_id     TEXT COLLATE "C" NOT NULL,
    received_at  BIGINT NOT NULL,
    PRIMARY KEY (account, token)
);

-- One job per (event, handler). A job is leased while `lease_until` is in the future.
CREATE TABLE jobs (
    id           TEXT COLLATE "C" PRIMARY KEY,
    event_id     TEXT COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_seq    BIGINT NOT NULL,
    handler      TEXT NOT NULL,
    order_key    TEXT,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'done', 'dead')),
    next_at      BIGINT NOT NULL,
    lease_until  BIGINT,
    budget_start INTEGER NOT NULL DEFAULT 0,
    attempts     JSONB NOT NULL DEFAULT '[]'::jsonb
);
CREATE INDEX jobs_event ON jobs (event_id);
CREATE INDEX jobs_due ON jobs (next_at) WHERE state = 'pending';
CREATE INDEX jobs_order ON jobs (order_key, event_seq) WHERE state = 'pending';
CREATE INDEX jobs_dead ON jobs (event_id) WHERE state = 'dead';

-- Small JSON values under string keys (see `Store::put_record`).
CREATE TABLE records (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
