"""Append-only audit tables on PostgreSQL (SQLite: the models refuse updates and deletes instead).

A row trigger rejects UPDATE and DELETE on audit events and checkpoints. The one exception is the retention purge,
which runs through the SECURITY DEFINER function audit_purge_prefix(): it may delete only events older than six
months. Row triggers do not see TRUNCATE: the runtime role must not hold TRUNCATE (docs/audit.md, "Roles").
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_auditevent'
     AND current_setting('tramontane.audit_purge', true) = 'on'
     AND OLD.occurred_at < now() - interval '183 days' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();
CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_auditcheckpoint
  FOR EACH ROW EXECUTE FUNCTION audit_reject_change();

CREATE OR REPLACE FUNCTION audit_purge_prefix(p_agency bigint, p_through bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  deleted bigint;
BEGIN
  PERFORM set_config('tramontane.audit_purge', 'on', true);
  DELETE FROM audit_auditevent WHERE agency_id = p_agency AND sequence <= p_through;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  PERFORM set_config('tramontane.audit_purge', 'off', true);
  RETURN deleted;
END $$;
-- Functions are executable by PUBLIC by default: only the roles granted it may purge (docs/audit.md, "Roles").
REVOKE ALL ON FUNCTION audit_purge_prefix(bigint, bigint) FROM PUBLIC;
"""

BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_auditcheckpoint;
DROP FUNCTION IF EXISTS audit_purge_prefix(bigint, bigint);
DROP FUNCTION IF EXISTS audit_reject_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
