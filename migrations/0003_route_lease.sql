-- Routing lease: while one instance's router routes an event, the others skip it, so no
-- event is routed (and looked up in Lever) twice. Expired leases are taken over.
ALTER TABLE events ADD COLUMN route_lease_until BIGINT;
