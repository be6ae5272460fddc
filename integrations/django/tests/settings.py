SECRET_KEY = "django-edgecache-tests"
INSTALLED_APPS = ["django.contrib.contenttypes", "django_edgecache", "tests"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
ROOT_URLCONF = "tests.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
}]
EDGECACHE = {"PURGE_URL": "http://127.0.0.1:9/_edgecache/purge", "TIMEOUT": 2}
