from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("public", views.public, name="public"),
    path("api/me", views.me, name="me"),
    path("auth/", include("shared_session.django.urls")),
]
