from pathlib import Path

from django.contrib import admin
from django.urls import path, re_path
from django.views.static import serve

from articles import views

REPO = Path(__file__).resolve().parents[3]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.index, name="index"),
    path("articles/<slug:slug>", views.detail, name="article"),
    path("api/articles", views.api_list, name="api-articles"),
    path("api/articles/<slug:slug>", views.api_detail, name="api-article"),
    path("api/articles/<slug:slug>/edit", views.api_edit, name="api-article-edit"),
    # The browser demo (www/) and the npm package it imports (pkg/web), served by the origin so
    # that the page, its API and the edge share one origin (no CORS). Never stored at the edge:
    # the responses carry no lifetime.
    path("www/", serve, {"document_root": REPO / "www", "path": "index.html"}),
    re_path(r"^www/(?P<path>.+)$", serve, {"document_root": REPO / "www", "show_indexes": False}),
    re_path(r"^pkg/(?P<path>.*)$", serve, {"document_root": REPO / "pkg" / "web"}),
]
