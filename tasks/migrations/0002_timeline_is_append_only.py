"""On PostgreSQL the timeline refuses UPDATE and DELETE: it is the audit trail.

SQLite (the embedded default for local runs) keeps the rule in code only.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION tasks_taskevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'task events are append-only (%% on tasks_taskevent)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tasks_taskevent_append_only
    BEFORE UPDATE OR DELETE ON tasks_taskevent
    FOR EACH ROW EXECUTE FUNCTION tasks_taskevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS tasks_taskevent_append_only ON tasks_taskevent;
DROP FUNCTION IF EXISTS tasks_taskevent_append_only();
"""


def run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP))]
