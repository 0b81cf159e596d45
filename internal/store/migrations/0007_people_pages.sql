-- Round 2, pages for people (issue 13).

-- A center's time zone (IANA name such as America/Chicago); '' means the
-- portal's default (PORTAL_TIME_ZONE, else UTC).
ALTER TABLE centers ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';

-- The audit log filtered by person (as actor or target) and by kind of event.
CREATE INDEX audit_center_actor ON audit_events (center_id, actor, id);
CREATE INDEX audit_center_target ON audit_events (center_id, target, id);
CREATE INDEX audit_center_action ON audit_events (center_id, action, id);
