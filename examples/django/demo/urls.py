from django.contrib import admin
from django.urls import path

from articles import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", views.index, name="index"),
    path("articles/<slug:slug>", views.detail, name="article"),
    path("api/articles", views.api_list, name="api-articles"),
    path("api/articles/<slug:slug>", views.api_detail, name="api-article"),
]
