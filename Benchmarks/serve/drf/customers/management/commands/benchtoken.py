"""`manage.py benchtoken [--username NAME]`: a user (created when missing) and a fresh DRF token
for it (rest_framework.authtoken; an earlier token of the user is replaced). Prints the key alone
on the last line, for `Authorization: Token <key>`."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create a user and a DRF token for it; print the token's key."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="servebench")

    def handle(self, *args, username, **options):
        user, _ = get_user_model().objects.get_or_create(username=username)
        Token.objects.filter(user=user).delete()
        token = Token.objects.create(user=user)
        self.stdout.write(token.key)
