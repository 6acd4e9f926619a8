"""`manage.py checktable`: the unmanaged Customer model against the `customers` table in
information_schema — the same columns, each of a matching type. Exits 1 naming every difference
(a column Sluice added, dropped or retyped), so the benchmark never serves a table the model
does not describe."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from customers.models import Customer

# The information_schema data_type each model field type stands for.
TYPES = {
    "TextField": "text",
    "IntegerField": "integer",
    "DateField": "date",
    "DateTimeField": "timestamp with time zone",
    "JSONField": "jsonb",
}


class Command(BaseCommand):
    help = "Compare the Customer model with the columns of its table."

    def handle(self, *args, **options):
        table = Customer._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position", [table])
            columns = dict(cursor.fetchall())
        if not columns:
            raise CommandError(f"there is no table {table!r} in the database (load it with `sluice run customers` first)")
        fields = {f.column: TYPES.get(f.get_internal_type(), f.get_internal_type()) for f in Customer._meta.concrete_fields}
        problems = [f"column {name} ({kind}) is in the table but not in the model" for name, kind in columns.items()
                    if name not in fields]
        problems += [f"field {name} is in the model but not in the table" for name in fields if name not in columns]
        problems += [f"column {name} is {columns[name]} in the table, {kind} in the model" for name, kind in fields.items()
                     if name in columns and columns[name] != kind]
        if problems:
            raise CommandError("the Customer model (Benchmarks/serve/drf/customers/models.py) does not match table "
                               f"{table!r}:\n  " + "\n  ".join(problems))
        self.stdout.write(f"{table}: {len(columns)} columns, as the model has them")
