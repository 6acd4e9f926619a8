"""The WSGI application gunicorn serves: `gunicorn benchsite.wsgi` from Benchmarks/serve/drf."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
application = get_wsgi_application()
