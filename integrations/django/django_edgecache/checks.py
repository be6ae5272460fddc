"""Django system checks: a misconfiguration is reported at startup (`manage.py check`), not at
the first save."""
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from standardwebhooks.webhooks import Webhook

from .conf import MissingSecret, config


@checks.register()
def edgecache_settings(app_configs, **kwargs):
    try:
        Webhook(config().secret)
    except MissingSecret as error:
        return [checks.Warning(f"{error}; until it is set, purges wait in the outbox", id="edgecache.W001")]
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="edgecache.E001")]
    except Exception as error:  # the library refuses a malformed secret
        return [checks.Error(f"the purge secret is not a valid whsec_ secret: {type(error).__name__}", id="edgecache.E002")]
    return []
