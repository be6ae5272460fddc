from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.generic import TemplateView

import django_edgecache


@django_edgecache.cache_tags("posts", lambda request, slug: f"post:{slug}", ttl=600)
def post(request, slug):
    return render(request, "post.html", {"slug": slug})


@django_edgecache.cache_tags("private")
def private(request):
    response = HttpResponse("mine")
    response["Cache-Control"] = "private"
    return response


class Listing(django_edgecache.CacheTagsMixin, TemplateView):
    template_name = "post.html"
    cache_tags = ["posts", lambda request: ["listing"]]
    surrogate_key = True


urlpatterns = [
    path("admin/", admin.site.urls),
    path("posts/<slug:slug>", post),
    path("private", private),
    path("listing", Listing.as_view()),
]
