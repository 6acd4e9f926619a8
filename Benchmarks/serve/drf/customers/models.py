"""The `customers` table that `sluice run customers` loads, as an unmanaged model: Django reads it
and never creates, alters or migrates it. `manage.py checktable` compares these fields with the
table's columns in information_schema, so a change on Sluice's side fails loudly."""

from django.db import models


class Customer(models.Model):
    index = models.IntegerField(null=True)
    customer_id = models.TextField(primary_key=True)
    first_name = models.TextField(null=True)
    last_name = models.TextField(null=True)
    company = models.TextField(null=True)
    city = models.TextField(null=True)
    country = models.TextField(null=True)
    phone_1 = models.TextField(null=True)
    phone_2 = models.TextField(null=True)
    email = models.TextField(null=True)
    subscription_date = models.DateField(null=True)
    website = models.TextField(null=True)
    attributes = models.JSONField(null=True)
    source_file = models.TextField(null=True)
    ingested_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "customers"
        ordering = ["customer_id"]

    def __str__(self) -> str:
        return self.customer_id
