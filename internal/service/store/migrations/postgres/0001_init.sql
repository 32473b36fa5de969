-- The platform's tables on PostgreSQL. Every table that belongs to a vendor
-- carries org_id and is guarded by row-level security: a row is visible, and
-- may be written, only when the transaction's ecoscan.org setting names its
-- organization or ecoscan.all is 'on' (the store sets both at the start of
-- every transaction). FORCE makes the policies bind the tables' owner too, so
-- the service's own role is subject to them.
--
-- A row that hangs off another (a scan off its app, a finding off its scan,
-- an event off its ticket) references it by (org_id, id), so its
-- organization is always its parent's and the tenancy checks on org_id hold
-- along every join; deleting an app cascades down that chain.

CREATE TABLE orgs (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs (lower(name));

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text        NOT NULL,
    name          text        NOT NULL,
    platform      boolean     NOT NULL DEFAULT false,
    password_hash text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    org_id  bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    text   NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       text        NOT NULL,
    prefix     text        NOT NULL,
    hash       bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    last_used  timestamptz,
    revoked_at timestamptz
);
CREATE INDEX tokens_user ON tokens (user_id, id);

CREATE TABLE sessions (
    hash       bytea       PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE apps (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id           bigint      NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind             text        NOT NULL CHECK (kind IN ('connect', 'forge')),
    name             text        NOT NULL,
    descriptor_url   text        NOT NULL DEFAULT '',
    shared_secret    text        NOT NULL DEFAULT '',
    client_key       text        NOT NULL DEFAULT '',
    user_jwt         text        NOT NULL DEFAULT '',
    archive_sha256   text        NOT NULL DEFAULT '',
    archive_size     bigint      NOT NULL DEFAULT 0,
    interval_seconds bigint      NOT NULL CHECK (interval_seconds > 0),
    next_scan_at     timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    deleted_at       timestamptz,
    idempotency_key  text,
    UNIQUE (org_id, idempotency_key),
    UNIQUE (org_id, id)
);
CREATE INDEX apps_due ON apps (next_scan_at) WHERE deleted_at IS NULL;
CREATE INDEX apps_deleted ON apps (deleted_at) WHERE deleted_at IS NOT NULL;

-- A Forge app's source archive, apart from the apps row so that the many
-- updates of an app (its schedule after every scan) do not rewrite it.
CREATE TABLE app_archives (
    app_id bigint PRIMARY KEY,
    org_id bigint NOT NULL,
    data   bytea  NOT NULL,
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE
);

-- Reports are kept as the bytes the scanner wrote (bytea, not jsonb): jsonb
-- would refuse evidence holding a \u0000 and reorder the report's keys.
CREATE TABLE scans (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint      NOT NULL,
    app_id      bigint      NOT NULL,
    state       text        NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'canceled')),
    trigger     text        NOT NULL,
    job_id      bigint      NOT NULL DEFAULT 0,
    queued_at   timestamptz NOT NULL,
    started_at  timestamptz,
    finished_at timestamptz,
    error       text        NOT NULL DEFAULT '',
    counts      text        NOT NULL DEFAULT '{}',
    report      bytea,
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE,
    UNIQUE (org_id, id)
);
CREATE INDEX scans_app ON scans (app_id, id);
CREATE INDEX scans_app_finished ON scans (app_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX scans_state ON scans (state);

CREATE TABLE findings (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint      NOT NULL,
    app_id      bigint      NOT NULL,
    scan_id     bigint      NOT NULL,
    fingerprint text        NOT NULL,
    rule        text        NOT NULL,
    requirement text        NOT NULL,
    severity    text        NOT NULL,
    title       text        NOT NULL,
    location    text        NOT NULL,
    suppressed  boolean     NOT NULL DEFAULT false,
    detail      bytea,
    created_at  timestamptz NOT NULL,
    FOREIGN KEY (org_id, scan_id) REFERENCES scans (org_id, id) ON DELETE CASCADE
);
CREATE INDEX findings_scan ON findings (scan_id, id);
CREATE INDEX findings_org ON findings (org_id, id);

CREATE TABLE tickets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      bigint      NOT NULL,
    app_id      bigint      NOT NULL,
    fingerprint text        NOT NULL,
    rule        text        NOT NULL,
    requirement text        NOT NULL,
    severity    text        NOT NULL,
    title       text        NOT NULL,
    location    text        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('needs-patch', 'needs-security-review', 'waiting-for-release',
                                                      'extension-requested', 'patched', 'accepted-risk', 'false-positive')),
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    due         timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    detail      bytea,
    UNIQUE (app_id, fingerprint),
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE,
    UNIQUE (org_id, id)
);
CREATE INDEX tickets_org_app ON tickets (org_id, app_id, id);
CREATE INDEX tickets_org_state_due ON tickets (org_id, state, due);
CREATE INDEX tickets_open_due ON tickets (due)
    WHERE state IN ('needs-patch', 'needs-security-review', 'waiting-for-release', 'extension-requested');

CREATE TABLE ticket_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     bigint      NOT NULL,
    ticket_id  bigint      NOT NULL,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    from_state text        NOT NULL DEFAULT '',
    to_state   text        NOT NULL,
    due_from   timestamptz,
    due_to     timestamptz,
    reason     text        NOT NULL DEFAULT '',
    scan_id    bigint      NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE webhooks (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     bigint      NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url        text        NOT NULL,
    secret     text        NOT NULL DEFAULT '',
    events     text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

CREATE TABLE notices (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id    bigint      NOT NULL,
    ticket_id bigint      NOT NULL,
    event     text        NOT NULL,
    key       text        NOT NULL,
    sent_at   timestamptz NOT NULL,
    UNIQUE (ticket_id, event, key),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);

-- Row-level security. NULLIF: once a transaction-local setting has been
-- used on a connection, later transactions read it as '' rather than NULL.
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON orgs
    USING (id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE apps ENABLE ROW LEVEL SECURITY;
ALTER TABLE apps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON apps
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE app_archives ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_archives FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON app_archives
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE scans ENABLE ROW LEVEL SECURITY;
ALTER TABLE scans FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON scans
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE findings ENABLE ROW LEVEL SECURITY;
ALTER TABLE findings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON findings
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE tickets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON tickets
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE ticket_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON ticket_events
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhooks
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');

ALTER TABLE notices ENABLE ROW LEVEL SECURITY;
ALTER TABLE notices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON notices
    USING (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
           OR current_setting('ecoscan.all', true) = 'on')
    WITH CHECK (org_id = NULLIF(current_setting('ecoscan.org', true), '')::bigint
                OR current_setting('ecoscan.all', true) = 'on');
