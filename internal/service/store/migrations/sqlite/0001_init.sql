-- The platform's tables on SQLite. Instants are INTEGER microseconds since
-- the Unix epoch, UTC; booleans are 0/1; ids never get reused (AUTOINCREMENT)
-- so a purged row's id cannot come back as another row's.
--
-- A row that hangs off another (a scan off its app, a finding off its scan,
-- an event off its ticket) references it by (org_id, id), so its
-- organization is always its parent's and the tenancy checks on org_id hold
-- along every join; deleting an app cascades down that chain.

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX orgs_name ON orgs (lower(name));

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    platform      BOOLEAN NOT NULL DEFAULT 0,
    password_hash TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE memberships (
    org_id  INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role    TEXT    NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    prefix     TEXT    NOT NULL,
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    last_used  INTEGER,
    revoked_at INTEGER
);
CREATE INDEX tokens_user ON tokens (user_id, id);

CREATE TABLE sessions (
    hash       BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE apps (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id           INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL CHECK (kind IN ('connect', 'forge')),
    name             TEXT    NOT NULL,
    descriptor_url   TEXT    NOT NULL DEFAULT '',
    shared_secret    TEXT    NOT NULL DEFAULT '',
    client_key       TEXT    NOT NULL DEFAULT '',
    user_jwt         TEXT    NOT NULL DEFAULT '',
    archive_sha256   TEXT    NOT NULL DEFAULT '',
    archive_size     INTEGER NOT NULL DEFAULT 0,
    interval_seconds INTEGER NOT NULL CHECK (interval_seconds > 0),
    next_scan_at     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    deleted_at       INTEGER,
    idempotency_key  TEXT,
    UNIQUE (org_id, idempotency_key),
    UNIQUE (org_id, id)
);
CREATE INDEX apps_due ON apps (next_scan_at) WHERE deleted_at IS NULL;
CREATE INDEX apps_deleted ON apps (deleted_at) WHERE deleted_at IS NOT NULL;

-- A Forge app's source archive, apart from the apps row so that the many
-- updates of an app (its schedule after every scan) do not rewrite it.
CREATE TABLE app_archives (
    app_id INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL,
    data   BLOB    NOT NULL,
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE
);

CREATE TABLE scans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL,
    app_id      INTEGER NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'canceled')),
    trigger     TEXT    NOT NULL,
    job_id      INTEGER NOT NULL DEFAULT 0,
    queued_at   INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    error       TEXT    NOT NULL DEFAULT '',
    counts      TEXT    NOT NULL DEFAULT '{}',
    report      BLOB,
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE,
    UNIQUE (org_id, id)
);
CREATE INDEX scans_app ON scans (app_id, id);
CREATE INDEX scans_app_finished ON scans (app_id, finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX scans_state ON scans (state);

CREATE TABLE findings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL,
    app_id      INTEGER NOT NULL,
    scan_id     INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    requirement TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    suppressed  BOOLEAN NOT NULL DEFAULT 0,
    detail      BLOB,
    created_at  INTEGER NOT NULL,
    FOREIGN KEY (org_id, scan_id) REFERENCES scans (org_id, id) ON DELETE CASCADE
);
CREATE INDEX findings_scan ON findings (scan_id, id);
CREATE INDEX findings_org ON findings (org_id, id);

CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL,
    app_id      INTEGER NOT NULL,
    fingerprint TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    requirement TEXT    NOT NULL,
    severity    TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('needs-patch', 'needs-security-review', 'waiting-for-release',
                                                  'extension-requested', 'patched', 'accepted-risk', 'false-positive')),
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    due         INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    detail      BLOB,
    UNIQUE (app_id, fingerprint),
    FOREIGN KEY (org_id, app_id) REFERENCES apps (org_id, id) ON DELETE CASCADE,
    UNIQUE (org_id, id)
);
CREATE INDEX tickets_org_app ON tickets (org_id, app_id, id);
CREATE INDEX tickets_org_state_due ON tickets (org_id, state, due);
CREATE INDEX tickets_open_due ON tickets (due)
    WHERE state IN ('needs-patch', 'needs-security-review', 'waiting-for-release', 'extension-requested');

CREATE TABLE ticket_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    from_state TEXT    NOT NULL DEFAULT '',
    to_state   TEXT    NOT NULL,
    due_from   INTEGER,
    due_to     INTEGER,
    reason     TEXT    NOT NULL DEFAULT '',
    scan_id    INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    secret     TEXT    NOT NULL DEFAULT '',
    events     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

CREATE TABLE notices (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id    INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    event     TEXT    NOT NULL,
    key       TEXT    NOT NULL,
    sent_at   INTEGER NOT NULL,
    UNIQUE (ticket_id, event, key),
    FOREIGN KEY (org_id, ticket_id) REFERENCES tickets (org_id, id) ON DELETE CASCADE
);
