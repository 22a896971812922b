-- Intake's decision as one server-side call: one round trip per delivery instead of six.
--
-- Each statement of a PL/pgSQL function sees what committed before it started, so after
-- an `ON CONFLICT DO NOTHING` that waited for another instance's transaction, the next
-- SELECT reads that instance's row. Called as a single statement, it is one transaction.

CREATE FUNCTION lever_hooks_ingest(
    p_id TEXT, p_account TEXT, p_event TEXT, p_triggered_at BIGINT, p_received_at BIGINT,
    p_token TEXT, p_envelope_id TEXT, p_dedupe_key TEXT, p_content_hash BYTEA,
    p_opportunity_id TEXT, p_contact_id TEXT, p_data TEXT, p_channel TEXT,
    OUT o_outcome TEXT, OUT o_event_id TEXT)
LANGUAGE plpgsql AS $$
DECLARE
    seen_hash BYTEA;
    seen_id TEXT;
BEGIN
    -- A token seen before: the same delivery again, or a replay with altered data.
    INSERT INTO tokens AS t (account, token, content_hash, event_id, received_at)
    VALUES (p_account, p_token, p_content_hash, p_id, p_received_at)
    ON CONFLICT (account, token) DO NOTHING;
    IF NOT FOUND THEN
        SELECT t.content_hash, t.event_id INTO seen_hash, seen_id
        FROM tokens t WHERE t.account = p_account AND t.token = p_token;
        IF seen_hash = p_content_hash THEN
            o_outcome := 'duplicate';
            o_event_id := seen_id;
        ELSE
            o_outcome := 'token_reused';
        END IF;
        RETURN;
    END IF;
    -- A dedupe key seen before: a rerun with a fresh token, which becomes that event's.
    INSERT INTO dedupe_keys AS d (account, dedupe_key, event_id, received_at)
    VALUES (p_account, p_dedupe_key, p_id, p_received_at)
    ON CONFLICT (account, dedupe_key) DO NOTHING;
    IF NOT FOUND THEN
        SELECT d.event_id INTO seen_id
        FROM dedupe_keys d WHERE d.account = p_account AND d.dedupe_key = p_dedupe_key;
        UPDATE tokens t SET event_id = seen_id
        WHERE t.account = p_account AND t.token = p_token;
        o_outcome := 'duplicate';
        o_event_id := seen_id;
        RETURN;
    END IF;
    INSERT INTO events (id, account, event, triggered_at, received_at, envelope_id,
                        dedupe_key, opportunity_id, contact_id, data)
    VALUES (p_id, p_account, p_event, p_triggered_at, p_received_at, p_envelope_id,
            p_dedupe_key, p_opportunity_id, p_contact_id, p_data);
    PERFORM pg_notify(p_channel, 'events');
    o_outcome := 'accepted';
    o_event_id := p_id;
END
$$;
